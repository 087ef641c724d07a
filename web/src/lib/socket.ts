"use client";
import { io, type Socket } from "socket.io-client";

/** The page's one socket.io connection; the session cookie authenticates it. */
export function connectSocket(): Socket {
  return io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"] });
}

/** Must match web/src/server/socket (core's SOCKET table plus the dashboard's unsubscribe). */
export const SOCKET = {
  logsSubscribe: "logs:subscribe",
  logsUnsubscribe: "logs:unsubscribe",
  logsEntry: "logs:entry",
  logsError: "logs:error",
  event: "event",
} as const;

export type LogEntry =
  | { stream: "stdout" | "stderr"; line: string; time: string }
  | { stream: "exit"; exitCode: number | null; error?: string; time: string };

export interface LogsEntryMessage {
  containerId: string;
  id: string;
  entry: LogEntry;
}

export interface LogsErrorMessage {
  containerId: string;
  message: string;
  kind: string;
}
