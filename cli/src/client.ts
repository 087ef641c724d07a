/**
 * Builds the connections to the Berth server: the tRPC client (commands) and the socket.io
 * client (live logs). Loaded lazily by the commands, so `berth --version`/`--help` never pay
 * for @berth/core, tRPC or socket.io.
 */
import { SOCKET, config } from "@berth/core";
import { CliError, connectionMessage, unauthorizedMessage, codeForKind } from "./errors.js";
import type { LogEntry } from "./api.js";
import { endpoint } from "./endpoint.js";
import { tlsOptions } from "./tls-trust.js";
import { teamAuth } from "./credentials.js";
import { connectWith, type Session } from "./trpc-session.js";

export { readToken } from "./endpoint.js";

export { connectWith, type Session };

export function connect(): Session {
  const { url, token } = endpoint(config());
  return connectWith(url, token);
}

let socketIo: Promise<typeof import("socket.io-client")> | undefined;
/** socket.io-client is the heaviest import; commands that will follow logs start loading it early. */
export function loadSocketIo(): Promise<typeof import("socket.io-client")> {
  socketIo ??= import("socket.io-client");
  return socketIo;
}

export type ExitEntry = Extract<LogEntry, { stream: "exit" }>;
export type OutputEntry = Exclude<LogEntry, { stream: "exit" }>;

/**
 * Follow a container's output from its beginning until its `exit` entry, passing each
 * output entry to `onEntry` in order. Resolves with the exit entry.
 */
export async function followLogs(s: Session, containerId: string /* id, id prefix or name */, onEntry: (e: OutputEntry) => void): Promise<ExitEntry> {
  const { io } = await loadSocketIo();
  // A URL with a path (behind a proxy) keeps it for socket.io's endpoint; io(url) would
  // otherwise read the path as a namespace.
  const u = new URL(s.url);
  const socket = io(u.origin, {
    ...(await tlsOptions(u)),
    path: `${u.pathname.replace(/\/+$/, "")}/socket.io`,
    auth: { token: s.token, ...teamAuth(s.url) },
    reconnection: false,
  });
  try {
    return await new Promise<ExitEntry>((resolve, reject) => {
      let finished = false;
      socket.on("connect", () => {
        socket.emit(SOCKET.logsSubscribe, { containerId, follow: true });
      });
      socket.on("connect_error", (err: Error) => {
        if (/unauthori[sz]ed/i.test(err.message)) reject(new CliError("UNAUTHORIZED", unauthorizedMessage(s.url)));
        else reject(new CliError("CONNECTION", connectionMessage(s.url)));
      });
      socket.on(SOCKET.logsEntry, (msg: { containerId: string; entry: LogEntry }) => {
        if (finished || msg.containerId !== containerId) return;
        if (msg.entry.stream === "exit") {
          finished = true;
          resolve(msg.entry);
        } else onEntry(msg.entry);
      });
      socket.on(SOCKET.logsError, (msg: { containerId: string; message: string; kind?: string }) => {
        if (msg.containerId !== containerId) return;
        finished = true;
        reject(new CliError(codeForKind(msg.kind), msg.message));
      });
      socket.on("disconnect", (reason: string) => {
        if (finished) return;
        reject(new CliError("CONNECTION", `lost the connection to the Berth server at ${s.url} (${reason})`));
      });
    });
  } finally {
    socket.disconnect();
  }
}
