import type { Socket } from "socket.io";
import { config } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { authenticate, type AuthUser } from "../auth/index.js";
import { crossSiteRefusal } from "../http/guard.js";

export interface SocketData {
  user: AuthUser;
}

/** io.use middleware: an API token (`io(url, { auth: { token } })`) or the session cookie, else "unauthorized". */
export function socketAuth(db: PrismaClient) {
  return (socket: Socket, next: (err?: Error) => void) => {
    const raw: unknown = socket.handshake.auth?.token;
    const token = typeof raw === "string" && raw.length > 0 ? raw : undefined;
    // A browser (no token) only from a page of this server: no cross-site socket hijacking with the cookie.
    const refusal = token ? undefined : crossSiteRefusal(socket.handshake.headers, config().url);
    if (refusal) return next(new Error(`unauthorized: ${refusal}`));
    authenticate(db, socket.handshake.headers, token).then(
      (user) => {
        if (!user) return next(new Error("unauthorized"));
        (socket.data as SocketData).user = user;
        next();
      },
      () => next(new Error("unauthorized")),
    );
  };
}
