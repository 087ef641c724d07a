/**
 * Request logs per named route (a preview or an environment): one JSON line per request in
 * $BERTH_HOME/edge/logs/<route name, URI-encoded>.jsonl. A file past its size cap is renamed to
 * `.jsonl.1` (the older ones shift up to `.jsonl.<keep>`, the oldest is dropped), so a busy
 * route's logs take at most (keep + 1) × maxBytes. The edge writes them in batches (a request
 * never waits for the disk); readRequestLog reads them back, newest last.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { edgeLogsDir, InvalidArgument, type Logger } from "@berth/core";

export interface RequestLogEntry {
  /** When the request ended (ISO 8601). */
  at: string;
  method: string;
  host: string;
  path: string;
  /** The status sent to the client (101 for an upgrade, 0: the client went away first). */
  status: number;
  /** Response body bytes sent. */
  bytes: number;
  /** Milliseconds from the request's arrival to its end. */
  ms: number;
  /** "1.1" or "2.0". */
  http: string;
  tls: boolean;
  /** The client's address. */
  ip: string;
  /** The upstream container (short id), when one was chosen. */
  upstream?: string;
}

export interface RequestLogOptions {
  /** A file grows to this size before it is rotated. */
  maxBytes?: number;
  /** Rotated files kept beside the current one. */
  keep?: number;
  /** Lines wait at most this long before they are written. */
  flushMs?: number;
}

const DEFAULTS = { maxBytes: 10 * 1024 * 1024, keep: 3, flushMs: 250 };
/** Lines buffered for one route past this are dropped (and counted) while the disk cannot keep up. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/** The current log file of `route` under `dir`. */
export const requestLogFile = (dir: string, route: string) => path.join(dir, `${encodeURIComponent(route)}.jsonl`);

export class RequestLog {
  private readonly o: typeof DEFAULTS;
  private pending = new Map<string, string[]>();
  private pendingBytes = new Map<string, number>();
  private sizes = new Map<string, number>();
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private madeDir = false;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    o: RequestLogOptions = {},
  ) {
    this.o = { ...DEFAULTS, ...o };
  }

  /** Queues one entry for `route`; written within flushMs. */
  write(route: string, entry: RequestLogEntry): void {
    const line = `${JSON.stringify(entry)}\n`;
    const had = this.pendingBytes.get(route) ?? 0;
    if (had + line.length > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    const lines = this.pending.get(route);
    if (lines) lines.push(line);
    else this.pending.set(route, [line]);
    this.pendingBytes.set(route, had + line.length);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.o.flushMs);
  }

  /** Writes everything queued so far (flushes run one after another). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow());
    return this.flushing;
  }

  /** Stops the timer and writes what is queued. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async flushNow(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.pendingBytes = new Map();
    if (this.dropped) {
      this.log.warn({ dropped: this.dropped }, "edge: request log lines dropped: the disk did not keep up");
      this.dropped = 0;
    }
    if (!batch.size) return;
    try {
      if (!this.madeDir) await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      this.madeDir = true;
    } catch (err) {
      this.log.warn({ err: (err as Error).message, dir: this.dir }, "edge: making the request log directory failed; lines dropped");
      return;
    }
    for (const [route, lines] of batch) {
      const file = requestLogFile(this.dir, route);
      try {
        await this.append(file, lines.join(""));
      } catch (err) {
        this.sizes.delete(file);
        this.log.warn({ err: (err as Error).message, file }, "edge: writing a request log failed; lines dropped");
      }
    }
  }

  private async append(file: string, text: string): Promise<void> {
    let size = this.sizes.get(file);
    if (size === undefined) size = (await fs.stat(file).catch(() => null))?.size ?? 0;
    const len = Buffer.byteLength(text);
    if (size > 0 && size + len > this.o.maxBytes) {
      await rotate(file, this.o.keep);
      size = 0;
    }
    await fs.appendFile(file, text, { mode: 0o600 });
    this.sizes.set(file, size + len);
  }
}

/** file.jsonl.(keep-1) → .keep, …, file.jsonl → .1 (the oldest one is replaced). */
async function rotate(file: string, keep: number): Promise<void> {
  if (keep < 1) return fs.rm(file, { force: true });
  for (let i = keep - 1; i >= 1; i--) await fs.rename(`${file}.${i}`, `${file}.${i + 1}`).catch(ignoreMissing);
  await fs.rename(file, `${file}.1`).catch(ignoreMissing);
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== "ENOENT") throw err;
}

export interface ReadRequestLogOptions {
  /** The newest this many entries (default 100, at most 100,000). */
  limit?: number;
  /** Only entries at or after this time. */
  since?: Date;
  /** Rotated files the writer keeps (to know which to read). */
  keep?: number;
}

/**
 * The request log of named route `route` (e.g. environmentRouteName(team, project, env)) in
 * `home`, oldest first, newest last; [] when it had no request. A line cut short by a crash is
 * skipped.
 */
export async function readRequestLog(home: string, route: string, o: ReadRequestLogOptions = {}): Promise<RequestLogEntry[]> {
  const limit = o.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new InvalidArgument(`limit must be a whole number from 1 to 100000, not ${limit}`);
  const file = requestLogFile(edgeLogsDir(home), route);
  const keep = o.keep ?? DEFAULTS.keep;
  let out: RequestLogEntry[] = [];
  // Newest file first, read until `limit` entries are in hand.
  for (const f of [file, ...Array.from({ length: keep }, (_, i) => `${file}.${i + 1}`)]) {
    let text: string;
    try {
      text = await fs.readFile(f, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    const lines = text.split("\n");
    const entries: RequestLogEntry[] = [];
    for (const line of lines) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as RequestLogEntry;
        if (!o.since || Date.parse(e.at) >= o.since.getTime()) entries.push(e);
      } catch {
        /* a torn last line */
      }
    }
    out = entries.slice(-(limit - out.length)).concat(out);
    if (out.length >= limit) break;
  }
  return out;
}
