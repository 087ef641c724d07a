import { z } from "zod";

/**
 * Container output travels as a Redis stream per container. Each entry is one line
 * (or one chunk for output without a newline). The stream ends with an `exit` entry,
 * so a reader that starts from "0" gets the whole output once, in order, and knows when it ends.
 */
export const logStreamKey = (containerId: string) => `logs:${containerId}`;
/**
 * Entries kept per container stream (all of them stay in log.jsonl on the host). Live readers
 * (`berth run`, the dashboard) read from the stream, so the cap must leave a slow reader room
 * to catch up with a chatty container: ~100 bytes an entry, ~10 MB of Redis at the cap.
 */
export const LOG_STREAM_MAXLEN = 100_000;
/** How long a finished container's stream lingers in Redis. */
export const LOG_STREAM_TTL_SECONDS = 24 * 3600;

export const LogEntry = z.discriminatedUnion("stream", [
  z.object({ stream: z.enum(["stdout", "stderr"]), line: z.string(), time: z.string() }),
  z.object({ stream: z.literal("exit"), exitCode: z.number().int().nullable(), error: z.string().optional(), time: z.string() }),
]);
export type LogEntry = z.infer<typeof LogEntry>;

/** Flat field list for XADD. */
export function encodeLogEntry(e: LogEntry): string[] {
  if (e.stream === "exit") {
    const f = ["stream", "exit", "time", e.time, "exitCode", e.exitCode === null ? "" : String(e.exitCode)];
    if (e.error) f.push("error", e.error);
    return f;
  }
  return ["stream", e.stream, "time", e.time, "line", e.line];
}

export function decodeLogEntry(fields: string[]): LogEntry {
  const m: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) m[fields[i]!] = fields[i + 1]!;
  if (m.stream === "exit") {
    const code = m.exitCode === undefined || m.exitCode === "" ? null : Number(m.exitCode);
    return LogEntry.parse({ stream: "exit", time: m.time, exitCode: code, ...(m.error ? { error: m.error } : {}) });
  }
  return LogEntry.parse({ stream: m.stream, time: m.time, line: m.line ?? "" });
}

/** socket.io events for log subscription (client → server: "logs:subscribe"). */
export const LogSubscribe = z.object({ containerId: z.string().min(1), follow: z.boolean().default(true) });
export type LogSubscribe = z.infer<typeof LogSubscribe>;
export const SOCKET = {
  logsSubscribe: "logs:subscribe",
  logsEntry: "logs:entry",
  logsError: "logs:error",
  event: "event",
} as const;
