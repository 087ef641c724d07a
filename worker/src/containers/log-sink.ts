import { createWriteStream, mkdirSync, openSync, renameSync, statSync, truncateSync, unlinkSync, type WriteStream } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { encodeLogEntry, LOG_STREAM_MAXLEN, LOG_STREAM_TTL_SECONDS, logStreamKey, logTime, type LogConfig, type LogRecord } from "@berth/core";
import type { Redis } from "@berth/core/redis";

/**
 * Lines sent to Redis and not yet answered: past HIGH_WATER the pipes pause until LOW_WATER. A
 * pipe chunk (64 KiB) can hold ~10k short lines, sent as one command answered at once, so the
 * marks leave room for a few chunks in flight (the pipe keeps flowing while Redis answers).
 */
const HIGH_WATER = 32_768;
const LOW_WATER = 8_192;
/** Bytes the file stream buffers before it asks the pipes to wait (a chunk's lines are one write). */
const FILE_HIGH_WATER = 1 << 20;
/** After a failed write, how long lines are counted as dropped before the file is tried again. */
const RETRY_MS = 1_000;

/** The line a log gets where lines could not be written (Docker users look for such a marker). */
export function dropMarker(count: number): string {
  return `[berth] ${count} log line${count === 1 ? "" : "s"} dropped: no space left on BERTH_HOME`;
}

const MAXLEN = String(LOG_STREAM_MAXLEN);
/** KEYS[1] the stream; ARGV: maxlen, stream name, then time and line of each entry. */
const XADD_LINES = `
for i = 3, #ARGV, 2 do
  redis.call("XADD", KEYS[1], "MAXLEN", "~", ARGV[1], "*", "stream", ARGV[2], "time", ARGV[i], "line", ARGV[i + 1])
end
return (#ARGV - 2) / 2`;

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
 * connection in order, so XADDs land in the order written. Each chunk a pipe delivers costs one
 * file write (one per file when it rotates mid-chunk) and one Redis command adding its lines, not
 * one of each per line. Every line gets a time from one
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
  /** Lines sent to Redis and not yet answered; past HIGH_WATER the pipes are paused (a chatty container waits, memory stays flat). */
  private inflight = 0;
  private readonly sources = new Set<Readable>();
  private paused = false;
  /** Lines the file could not take since the last marker. */
  private dropped = 0;
  /** Lines the file could not take and no marker has counted yet. */
  get droppedLines(): number {
    return this.dropped;
  }
  /** Set while the file is failing with ENOSPC: lines are counted, not written, until then. */
  private retryAt: number | undefined;
  /** Bytes of the current file known written (whole lines): a failed write is cut back to here. */
  private confirmed = 0;
  /** File writes not yet answered, and who waits for them all. */
  private writing = 0;
  private written: (() => void) | undefined;
  /** Files replaced (rotated, or dropped after ENOSPC) whose fd is still closing: exit waits for them. */
  private readonly closing = new Set<Promise<void>>();

  constructor(
    private readonly redis: Redis,
    containerId: string,
    private readonly logPath: string,
    private readonly cfg: LogConfig = { driver: "json-file", maxFile: 1 },
    /** A run already in the log (a container adopted from a previous worker): no new start marker. */
    resumeRun?: string,
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
    this.run = resumeRun ?? logTime();
    if (!resumeRun) this.add({ stream: "start", run: this.run, time: this.run });
  }

  /** Opened synchronously, so the file exists at once (rotation renames it, pending writes follow the fd). */
  private open(): WriteStream {
    const f = createWriteStream("", { fd: openSync(this.logPath, "a", 0o640), highWaterMark: FILE_HIGH_WATER });
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
    const p = this.redis.xadd(this.key, "MAXLEN", "~", MAXLEN, "*", ...encodeLogEntry(entry));
    this.pending = p.then(
      () => this.settled(1),
      (e: unknown) => {
        this.failed ??= e;
        this.settled(1);
      },
    );
  }

  /**
   * A chunk's XADDs in one command: a script that adds each line as its own entry (fields as
   * encodeLogEntry lays them out). One ioredis command per line (even pipelined) costs more
   * than the rest of the sink together, mostly in garbage collection.
   */
  private addAll(stream: "stdout" | "stderr", lines: readonly string[], times: readonly string[]): void {
    const args: string[] = [MAXLEN, stream];
    for (let i = 0; i < lines.length; i++) args.push(times[i]!, lines[i]!);
    this.inflight += lines.length;
    this.pending = this.redis.eval(XADD_LINES, 1, this.key, ...args).then(
      () => this.settled(lines.length),
      (e: unknown) => {
        this.failed ??= e;
        this.settled(lines.length);
      },
    );
  }

  private settled(n: number): void {
    this.inflight -= n;
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
    this.retire(old, false);
    this.file = this.open();
    this.size = this.confirmed = 0;
  }

  line(stream: "stdout" | "stderr", line: string): void {
    this.lines(stream, [line]);
  }

  /** Lines of one pipe, in order: each gets its own time; file and stream get them as one batch each. */
  lines(stream: "stdout" | "stderr", lines: readonly string[]): void {
    if (!lines.length) return;
    const times = lines.map(() => logTime());
    if (this.file) this.toFile(lines.map((line, i) => `${JSON.stringify({ log: `${line}\n`, stream, time: times[i] })}\n`));
    this.addAll(stream, lines, times);
  }

  /**
   * json-file lines, one write per file (the batch is cut where max-size rotates the file).
   * Counted as dropped when the disk is full (the stream still gets them).
   */
  private toFile(jsons: readonly string[]): void {
    if (this.retryAt !== undefined && (Date.now() < this.retryAt || !this.reopen())) {
      this.dropped += jsons.length;
      return;
    }
    const max = this.cfg.maxSize;
    if (max === undefined) {
      const text = jsons.join("");
      this.write(text, jsons.length, Buffer.byteLength(text));
      return;
    }
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < jsons.length; i++) {
      const b = Buffer.byteLength(jsons[i]!);
      if (this.size + bytes > 0 && this.size + bytes + b > max) {
        if (i > from) this.write(jsons.slice(from, i).join(""), i - from, bytes);
        this.rotate();
        from = i;
        bytes = 0;
      }
      bytes += b;
    }
    this.write(jsons.slice(from).join(""), jsons.length - from, bytes);
  }

  /**
   * One write of whole lines. A write that fails (and those queued behind it, which the failed
   * stream discards) drops all its lines: the file is cut back to the last confirmed byte before
   * it is written again, so a line is either in the file or counted.
   */
  private write(text: string, lines: number, bytes: number): void {
    this.writing++;
    const f = this.file!;
    f.write(text, (e) => {
      if (e) this.dropped += lines;
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
    if (this.file) this.retire(this.file, true);
    this.file = next;
    this.retryAt = undefined;
    this.size = this.confirmed;
    this.writeMarker();
    return true;
  }

  /**
   * Ends (or, after a failed write, destroys) a replaced file; its fd closes later. Without
   * waiting for that, exit could resolve while a descriptor still holds the log's filesystem.
   */
  private retire(f: WriteStream, destroy: boolean): void {
    if (f.closed) return;
    const closed = new Promise<void>((resolve) => f.once("close", () => resolve()));
    this.closing.add(closed);
    void closed.then(() => this.closing.delete(closed));
    if (destroy) f.destroy();
    else f.end();
  }

  private answered(): void {
    if (--this.writing === 0) this.written?.();
  }

  private writeMarker(): void {
    const count = this.dropped;
    if (!count || !this.file) return;
    this.dropped = 0;
    const json = `${JSON.stringify({ log: `${dropMarker(count)}\n`, stream: "stderr", time: logTime() })}\n`;
    // If the marker fails, its count is dropped again and said at the next try.
    this.write(json, count, Buffer.byteLength(json));
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
        this.lines(stream, parts);
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
    if (this.file) this.retire(this.file, false);
    await Promise.all(this.closing);
    if (this.failed) throw this.failed;
  }
}
