import { z } from "zod";
import type { Redis } from "./redis.js";

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
  z.object({ stream: z.literal("exit"), exitCode: z.number().int().nullable(), error: z.string().optional(), time: z.string(), run: z.string().optional() }),
]);
export type LogEntry = z.infer<typeof LogEntry>;

/**
 * Markers in the stream that no client sees as output. A container's stream holds all its runs:
 * `start` opens a run (its `run` is the start time, which the run's exit entry repeats), and
 * `restart` says the exit that follows is not the end (a restart is under way). A follower treats
 * an exit as the end only when nothing follows it and no restart was announced, so `logs -f`
 * follows a restarted container until its current run ends.
 */
export type LogMarker = { stream: "start"; run: string; time: string } | { stream: "restart"; time: string };
export type LogRecord = LogEntry | LogMarker;
export const isLogMarker = (r: LogRecord): r is LogMarker => r.stream === "start" || r.stream === "restart";

/** Flat field list for XADD. */
export function encodeLogEntry(e: LogRecord): string[] {
  if (e.stream === "start") return ["stream", "start", "time", e.time, "run", e.run];
  if (e.stream === "restart") return ["stream", "restart", "time", e.time];
  if (e.stream === "exit") {
    const f = ["stream", "exit", "time", e.time, "exitCode", e.exitCode === null ? "" : String(e.exitCode)];
    if (e.error) f.push("error", e.error);
    if (e.run) f.push("run", e.run);
    return f;
  }
  return ["stream", e.stream, "time", e.time, "line", e.line];
}

export function decodeLogEntry(fields: string[]): LogRecord {
  const m: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) m[fields[i]!] = fields[i + 1]!;
  if (m.stream === "start") return { stream: "start", time: m.time ?? "", run: m.run ?? "" };
  if (m.stream === "restart") return { stream: "restart", time: m.time ?? "" };
  if (m.stream === "exit") {
    const code = m.exitCode === undefined || m.exitCode === "" ? null : Number(m.exitCode);
    return LogEntry.parse({ stream: "exit", time: m.time, exitCode: code, ...(m.error ? { error: m.error } : {}), ...(m.run ? { run: m.run } : {}) });
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

/**
 * Announces that the container's current run is being restarted (`restart`, a restart policy):
 * followers keep going past the exit entry that ends this run. Call it before the stop.
 */
export async function markRestart(redis: Redis, containerId: string, time: string): Promise<void> {
  await redis.xadd(logStreamKey(containerId), "MAXLEN", "~", String(LOG_STREAM_MAXLEN), "*", ...encodeLogEntry({ stream: "restart", time }));
}

/** socket.io events of `berth logs` (history from the host's json-file, then the live tail). */
export const LOGS_READ = {
  /** client → web, acked { session } | { error, kind } */
  open: "logs:open",
  /** client → web, acked { data?: Buffer of frames, done } | { error, kind }; an empty answer means "nothing yet, ask again" */
  next: "logs:next",
  /** client → web: stop */
  close: "logs:close",
} as const;

export const LogsOpen = z.object({
  containerId: z.string().min(1).max(256),
  follow: z.boolean().default(false),
  /** last N lines (of the kept files); absent = all */
  tail: z.number().int().min(0).optional(),
  /** fixed-width RFC 3339 times (the CLI turns relative ones into these) */
  since: z.string().max(64).optional(),
  until: z.string().max(64).optional(),
  timestamps: z.boolean().default(false),
});
export type LogsOpen = z.infer<typeof LogsOpen>;

/** web → agent: the history part, read from the json-file files on the container's host. */
export const AgentLogsOpen = LogsOpen.omit({ follow: true }).extend({ session: z.string().uuid(), containerId: z.string().regex(/^[0-9a-f]{64}$/) });
export type AgentLogsOpen = z.infer<typeof AgentLogsOpen>;
export const AgentLogsNext = z.object({ session: z.string().uuid() });
/** The agent's answer to `logs:next`: frames, and at the end the time of the last line in the files. */
export type AgentLogsChunk = { data: Uint8Array; done: false } | { data: Uint8Array; done: true; lastTime: string | null } | { error: string; kind: string };
