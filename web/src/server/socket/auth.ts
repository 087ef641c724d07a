import type { Socket } from "socket.io";
import type { PrismaClient } from "@berth/core/db";
import { authenticate, type AuthUser } from "../auth/index.js";

export interface SocketData {
  user: AuthUser;
}

/** A browser's cookie only counts when the page that opened the socket is ours (no cross-site socket hijacking). */
function sameOrigin(socket: Socket): boolean {
  const origin = socket.handshake.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === socket.handshake.headers.host;
  } catch {
    return false;
  }
}

/** io.use middleware: an API token (`io(url, { auth: { token } })`) or the session cookie, else "unauthorized". */
export function socketAuth(db: PrismaClient) {
  return (socket: Socket, next: (err?: Error) => void) => {
    const raw: unknown = socket.handshake.auth?.token;
    const token = typeof raw === "string" && raw.length > 0 ? raw : undefined;
    const headers = token || sameOrigin(socket) ? socket.handshake.headers : { ...socket.handshake.headers, cookie: undefined };
    authenticate(db, headers, token).then(
      (user) => {
        if (!user) return next(new Error("unauthorized"));
        (socket.data as SocketData).user = user;
        next();
      },
      () => next(new Error("unauthorized")),
    );
  };
}
