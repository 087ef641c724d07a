/**
 * A socket.io connection to the Berth server for pull-style reads (`logs`, `events`): connects,
 * turns connection failures into the CLI's errors, and asks with acknowledgements.
 */
import type { Socket } from "socket.io-client";
import type { Session } from "./client.js";
import { loadSocketIo } from "./client.js";
import { CliError, codeForKind, connectionMessage, unauthorizedMessage } from "./errors.js";
import { tlsOptions } from "./tls-trust.js";
import { teamAuth } from "./credentials.js";

export async function openSocket(s: Session): Promise<Socket> {
  const { io } = await loadSocketIo();
  const u = new URL(s.url);
  const socket = io(u.origin, { ...(await tlsOptions(u)), path: `${u.pathname.replace(/\/+$/, "")}/socket.io`, auth: { token: s.token, ...teamAuth(s.url) }, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", (err: Error) => {
      if (/unauthori[sz]ed/i.test(err.message)) reject(new CliError("UNAUTHORIZED", unauthorizedMessage(s.url)));
      else reject(new CliError("CONNECTION", connectionMessage(s.url)));
    });
  });
  return socket;
}

/** emitWithAck that rejects with a CliError on `{ error, kind }`, a lost connection, or no answer in `ms`. */
export async function ask<T>(socket: Socket, url: string, event: string, payload: unknown, ms = 180_000): Promise<T> {
  let onDisconnect: ((reason: string) => void) | undefined;
  const lost = new Promise<never>((_, reject) => {
    onDisconnect = (reason: string) => reject(new CliError("CONNECTION", `lost the connection to the Berth server at ${url} (${reason})`));
    socket.once("disconnect", onDisconnect);
  });
  try {
    const r = (await Promise.race([socket.timeout(ms).emitWithAck(event, payload), lost])) as T | { error: string; kind?: string };
    if (r && typeof r === "object" && "error" in r && typeof r.error === "string") throw new CliError(codeForKind(r.kind), r.error);
    return r as T;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError("CONNECTION", `the Berth server at ${url} did not answer ${event}`);
  } finally {
    if (onDisconnect) socket.off("disconnect", onDisconnect);
  }
}
