import { decodeLogEntry, isLogMarker, LOG_STREAM_MAXLEN, logStreamKey, type LogEntry, type LogRecord } from "@berth/core";
import type { Redis } from "@berth/core/redis";

/** [id, [field, value, …]] as ioredis returns stream entries. */
export type RawStreamEntry = [string, string[]];

export interface StreamEntry {
  id: string;
  /** Output, an exit, or a run marker (start/restart) that clients never see. */
  entry: LogRecord;
}

export function decodeRaw(raw: RawStreamEntry[]): StreamEntry[] {
  return raw.map(([id, fields]) => ({ id, entry: decodeLogEntry(fields) }));
}

export async function streamExists(redis: Redis, containerId: string): Promise<boolean> {
  return (await redis.exists(logStreamKey(containerId))) === 1;
}

/** Entries after `after` (exclusive; "-" means from the start), in order, in pages. */
export async function readRange(redis: Redis, containerId: string, after: string, count = 1000): Promise<StreamEntry[]> {
  const start = after === "-" ? "-" : `(${after}`;
  const raw = (await redis.xrange(logStreamKey(containerId), start, "+", "COUNT", count)) as RawStreamEntry[];
  return decodeRaw(raw);
}

/** The whole stream (capped at LOG_STREAM_MAXLEN entries), or its last `tail` output lines plus the exit entry. */
export async function readLogs(redis: Redis, containerId: string, tail?: number): Promise<{ entries: LogEntry[]; done: boolean }> {
  const key = logStreamKey(containerId);
  let entries: LogEntry[];
  if (tail === undefined) {
    entries = [];
    let after = "-";
    for (;;) {
      const page = await readRange(redis, containerId, after, 2000);
      for (const e of page) if (!isLogMarker(e.entry)) entries.push(e.entry);
      if (page.length < 2000 || entries.length >= LOG_STREAM_MAXLEN + 1) break;
      after = page[page.length - 1]!.id;
    }
  } else {
    const raw = (await redis.xrevrange(key, "+", "-", "COUNT", tail + 1)) as RawStreamEntry[];
    const newestFirst = decodeRaw(raw)
      .map((e) => e.entry)
      .filter((e): e is LogEntry => !isLogMarker(e));
    const exit = newestFirst[0]?.stream === "exit" ? newestFirst.shift() : undefined;
    entries = newestFirst.slice(0, tail).reverse();
    if (exit) entries.push(exit);
  }
  // Earlier runs' exits are history, not the end: only the last entry decides.
  const done = entries.length > 0 && entries[entries.length - 1]!.stream === "exit";
  return { entries: entries.filter((e, i) => e.stream !== "exit" || i === entries.length - 1), done };
}
