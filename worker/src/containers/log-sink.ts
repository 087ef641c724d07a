import { createWriteStream, mkdirSync, openSync, renameSync, statSync, truncateSync, unlinkSync, type WriteStream } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { encodeLogEntry, LOG_STREAM_MAXLEN, LOG_STREAM_TTL_SECONDS, logStreamKey, logTime, type LogConfig, type LogRecord } from "@berth/core";
import type { Redis } from "@berth/core/redis";

const HIGH_WATER = 5_000;
const LOW_WATER = 1_000;
/** After a failed write, how long lines are counted as dropped before the file is tried again. */
const RETRY_MS = 1_000;

/** The line a log gets where lines could not be written (Docker users look for such a marker). */
export function dropMarker(count: number): string {
  return `[berth] ${count} log line${count === 1 ? "" : "s"} dropped: no space left on BERTH_HOME`;
}

const isNoSpace = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code === "ENOSPC" || (e as NodeJS.ErrnoException | undefined)?.code === "EDQUOT";

/** The kept files of a log, oldest first: log.jsonl.N … log.jsonl.1, log.jsonl. */
export function rotatedNames(logPath: string, maxFile: number): string[] {
  const names = [logPath];
  for (let i = 1; i < maxFile; i++) names.unshift(`${logPath}.${i}`);
  return names;
}

/**
 * Where a container's output goes: `log.jsonl` in Docker's json-file format (the durable copy:
 * `berth logs` reads its history from these files) and the container's Redis stream (what live
 * readers follow; capped). Lines of one pipe keep their order; ioredis sends commands of one
 * connection in order, so XADDs land in the order written. Every line gets a time from one
 * strictly increasing clock, so file and stream agree on each line's time and a reader can hand
 * over from the file to the stream exactly.
 *
 * With a max size, the file rotates as Docker's json-file driver does: log.jsonl → log.jsonl.1 →
 * … and at most max-file files are kept (max-file 1: the file starts afresh). A rename keeps
 * pending writes going to the renamed file, so nothing written before the rotation is lost.
 *
 * A full disk (ENOSPC) does not stop the container or the stream: the lines the file could not
 * take are counted, and once a write works again (tried at most once a second, and at exit) the
 * file gets a marker line saying how many were dropped.
 */
export class LogSink {
  private file: WriteStream | undefined;
  private size = 0;
  private readonly key: string;
  private pending: Promise<unknown> = Promise.resolve();
  private failed: unknown;
  /** This run's id (its start time): the exit entry repeats it. */
  readonly run: string;
  /** XADDs sent and not yet answered; past HIGH_WATER the pipes are paused (a chatty container waits, memory stays flat). */
  private inflight = 0;
  private readonly sources = new Set<Readable>();
  private paused = false;
  /** Lines the file could not take since the last marker. */
  private dropped = 0;
  /** Set while the file is failing with ENOSPC: lines are counted, not written, until then. */
  private retryAt: number | undefined;
  /** Bytes of the current file known written (whole lines): a failed write is cut back to here. */
  private confirmed = 0;
  /** File writes not yet answered, and who waits for them all. */
  private writing = 0;
  private written: (() => void) | undefined;

  constructor(
    private readonly redis: Redis,
    containerId: string,
    private readonly logPath: string,
    private readonly cfg: LogConfig = { driver: "json-file", maxFile: 1 },
  ) {
    this.key = logStreamKey(containerId);
    if (cfg.driver === "json-file") {
      mkdirSync(path.dirname(logPath), { recursive: true });
      try {
        this.size = this.confirmed = statSync(logPath).size;
      } catch {
        this.size = 0;
      }
      this.file = this.open();
    }
    this.run = logTime();
    this.add({ stream: "start", run: this.run, time: this.run });
  }

  /** Opened synchronously, so the file exists at once (rotation renames it, pending writes follow the fd). */
  private open(): WriteStream {
    const f = createWriteStream("", { fd: openSync(this.logPath, "a", 0o640) });
    f.on("drain", () => {
      if (this.paused && this.inflight <= LOW_WATER) this.resume();
    });
    f.on("error", (e) => {
      if (isNoSpace(e)) {
        if (f === this.file) this.retryAt = Date.now() + RETRY_MS;
      } else this.failed ??= e;
    });
    return f;
  }

  private add(entry: LogRecord): void {
    this.inflight++;
    const p = this.redis.xadd(this.key, "MAXLEN", "~", String(LOG_STREAM_MAXLEN), "*", ...encodeLogEntry(entry));
    this.pending = p.then(
      () => this.settled(),
      (e: unknown) => {
        this.failed ??= e;
        this.settled();
      },
    );
  }

  private settled(): void {
    this.inflight--;
    if (this.paused && this.inflight <= LOW_WATER && !this.file?.writableNeedDrain) this.resume();
  }

  private throttle(): void {
    if (this.paused || (this.inflight < HIGH_WATER && !this.file?.writableNeedDrain)) return;
    this.paused = true;
    for (const s of this.sources) s.pause();
  }

  private resume(): void {
    this.paused = false;
    for (const s of this.sources) s.resume();
  }

  /** log.jsonl.(k) → .(k+1), the oldest dropped, log.jsonl → .1, a new log.jsonl. */
  private rotate(): void {
    const old = this.file!;
    const names = rotatedNames(this.logPath, this.cfg.maxFile);
    try {
      if (names.length === 1) unlinkSync(this.logPath);
      else {
        for (let i = 0; i < names.length - 1; i++) {
          try {
            if (i === 0) unlinkSync(names[0]!);
            else renameSync(names[i]!, names[i - 1]!);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
          }
        }
        renameSync(this.logPath, names[names.length - 2]!);
      }
    } catch (e) {
      this.failed ??= e;
      return;
    }
    old.end();
    this.file = this.open();
    this.size = this.confirmed = 0;
  }

  line(stream: "stdout" | "stderr", line: string): void {
    const time = logTime();
    if (this.file) this.toFile(`${JSON.stringify({ log: `${line}\n`, stream, time })}\n`);
    this.add({ stream, line, time });
  }

  /** One json-file line; counted as dropped when the disk is full (the stream still gets it). */
  private toFile(json: string): void {
    if (this.retryAt !== undefined && (Date.now() < this.retryAt || !this.reopen())) {
      this.dropped++;
      return;
    }
    const bytes = Buffer.byteLength(json);
    if (this.cfg.maxSize !== undefined && this.size > 0 && this.size + bytes > this.cfg.maxSize) this.rotate();
    // A write that fails (and those queued behind it, which the failed stream discards) is a dropped line.
    this.writing++;
    const f = this.file!;
    f.write(json, (e) => {
      if (e) this.dropped++;
      else if (f === this.file) this.confirmed += bytes;
      this.answered();
    });
    this.size += bytes;
  }

  /**
   * A new stream after ENOSPC, starting with the marker for what was dropped. The file is first
   * cut back to its last confirmed line: a failed write may have left a torn line, or lines whose
   * write was reported failed (they are counted as dropped, so they must not be there). False if
   * the file cannot even be opened: the lines are still counted.
   */
  private reopen(): boolean {
    let next: WriteStream;
    try {
      if ((statSync(this.logPath, { throwIfNoEntry: false })?.size ?? 0) > this.confirmed) truncateSync(this.logPath, this.confirmed);
      next = this.open();
    } catch (e) {
      if (!isNoSpace(e)) this.failed ??= e;
      this.retryAt = Date.now() + RETRY_MS;
      return false;
    }
    this.file?.destroy();
    this.file = next;
    this.retryAt = undefined;
    this.size = this.confirmed;
    this.writeMarker();
    return true;
  }

  private answered(): void {
    if (--this.writing === 0) this.written?.();
  }

  private writeMarker(): void {
    const count = this.dropped;
    if (!count || !this.file) return;
    this.dropped = 0;
    const json = `${JSON.stringify({ log: `${dropMarker(count)}\n`, stream: "stderr", time: logTime() })}\n`;
    const bytes = Buffer.byteLength(json);
    this.writing++;
    const f = this.file;
    f.write(json, (e) => {
      if (e) this.dropped += count; // said again at the next try
      else if (f === this.file) this.confirmed += bytes;
      this.answered();
    });
    this.size += bytes;
  }

  /** Splits a pipe into lines; a last line without "\n" is still delivered at EOF. */
  follow(stream: "stdout" | "stderr", source: Readable): Promise<void> {
    return new Promise((resolve, reject) => {
      let rest = "";
      this.sources.add(source);
      source.setEncoding("utf8");
      source.on("data", (chunk: string) => {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        for (const l of parts) this.line(stream, l);
        this.throttle();
      });
      source.once("end", () => {
        this.sources.delete(source);
        if (rest) this.line(stream, rest);
        resolve();
      });
      source.once("error", (e) => {
        this.sources.delete(source);
        reject(e);
      });
    });
  }

  /** Writes the final entry and lets the stream expire; resolves once Redis has everything. */
  async exit(exitCode: number | null, error?: string): Promise<void> {
    this.add({ stream: "exit", exitCode, time: logTime(), run: this.run, ...(error ? { error } : {}) });
    await this.pending;
    await this.redis.expire(this.key, LOG_STREAM_TTL_SECONDS);
    // Lines dropped to a full disk are said at the end if no later write said so.
    if (this.file) {
      // Every queued write answered first: a failing one adds to the count.
      if (this.writing) await new Promise<void>((resolve) => (this.written = resolve));
      this.written = undefined;
      if (this.dropped) {
        if (this.retryAt !== undefined) this.reopen();
        else this.writeMarker();
      }
    }
    const f = this.file;
    if (f) await new Promise<void>((resolve) => (f.destroyed ? resolve() : f.end(resolve)));
    if (this.failed) throw this.failed;
  }
}
