import fs from "node:fs/promises";
import path from "node:path";
import { FrameWriter, normalizeTime, NotFound, type OutputStream } from "@berth/core";

export interface LogReadOptions {
  /** The last N lines of the kept files; undefined: all. */
  tail?: number;
  /** Fixed-width RFC 3339 times; since and until are inclusive, as docker's. */
  since?: string;
  until?: string;
  /** Prefix each line with its time (RFC 3339 nano), as `docker logs -t`. */
  timestamps?: boolean;
}

interface LogFile {
  fh: fs.FileHandle;
  /** Bytes to read: up to the last complete line when the reader opened it. */
  end: number;
}

const BLOCK = 1024 * 1024;
/** Frames per answer: big enough to keep round trips rare, small enough to keep memory flat. */
const CHUNK = 256 * 1024;

/** log.jsonl and its rotated files (log.jsonl.1, .2, …), oldest first. */
export async function logFiles(logPath: string): Promise<string[]> {
  const dir = path.dirname(logPath);
  const base = path.basename(logPath);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new NotFound(`log directory ${dir}`);
    throw e;
  }
  const rotated = names
    .map((n) => (n.startsWith(`${base}.`) ? Number(n.slice(base.length + 1)) : NaN))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => b - a)
    .map((n) => path.join(dir, `${base}.${n}`));
  return names.includes(base) ? [...rotated, logPath] : rotated;
}

/** Offset just past the last "\n" before `size` (0 if none). */
async function lastNewlineEnd(fh: fs.FileHandle, size: number): Promise<number> {
  const buf = Buffer.alloc(Math.min(BLOCK, Math.max(size, 1)));
  let pos = size;
  while (pos > 0) {
    const len = Math.min(buf.length, pos);
    pos -= len;
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    const i = buf.subarray(0, bytesRead).lastIndexOf(10);
    if (i >= 0) return pos + i + 1;
  }
  return 0;
}

/**
 * Streams a container's json-file history as log frames, in bounded chunks (never the whole log in
 * memory): the files are opened once, at their sizes then, so the history is a consistent snapshot
 * even while the container writes and rotates; `lastTime` is the time of the snapshot's last line,
 * where a follower hands over to the live stream.
 */
export class LogFileReader {
  private fileIdx = 0;
  private offset = 0;
  private carry: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly buf = Buffer.alloc(BLOCK);

  private constructor(
    private readonly files: LogFile[],
    private readonly opts: LogReadOptions,
    readonly lastTime: string | null,
  ) {}

  static async open(logPath: string, opts: LogReadOptions): Promise<LogFileReader> {
    const names = await logFiles(logPath);
    const files: LogFile[] = [];
    try {
      for (const n of names) {
        let fh: fs.FileHandle;
        try {
          fh = await fs.open(n, "r");
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // rotated away just now
          throw e;
        }
        const { size } = await fh.stat();
        files.push({ fh, end: await lastNewlineEnd(fh, size) });
      }
      const lastTime = await lastLineTime(files);
      const r = new LogFileReader(files, opts, lastTime);
      if (opts.tail !== undefined) await r.seekTail(opts.tail);
      return r;
    } catch (e) {
      await Promise.all(files.map((f) => f.fh.close().catch(() => undefined)));
      throw e;
    }
  }

  /** Positions the reader at the start of the last `n` lines across the files. */
  private async seekTail(n: number): Promise<void> {
    if (n === 0) {
      this.fileIdx = this.files.length;
      return;
    }
    let need = n;
    for (let i = this.files.length - 1; i >= 0; i--) {
      const f = this.files[i]!;
      // The last byte is the "\n" ending the last line; count the newlines before it.
      let pos = f.end - 1;
      while (pos > 0) {
        const len = Math.min(BLOCK, pos);
        const start = pos - len;
        const { bytesRead } = await f.fh.read(this.buf, 0, len, start);
        const block = this.buf.subarray(0, bytesRead);
        for (let j = block.length - 1; j >= 0; j--) {
          if (block[j] === 10 && --need === 0) {
            this.fileIdx = i;
            this.offset = start + j + 1;
            return;
          }
        }
        pos = start;
      }
      if (f.end > 0) need--; // the file's first line
      if (need === 0) {
        this.fileIdx = i;
        this.offset = 0;
        return;
      }
    }
    this.fileIdx = 0;
    this.offset = 0;
  }

  /** The next chunk of frames; `done` once the snapshot is read (or `until` is passed). */
  async next(): Promise<{ data: Buffer; done: boolean }> {
    const out = new FrameWriter();
    const { since, until, timestamps } = this.opts;
    while (!this.done && out.length < CHUNK) {
      const f = this.files[this.fileIdx];
      if (!f) {
        this.done = true;
        break;
      }
      if (this.offset >= f.end) {
        this.fileIdx++;
        this.offset = 0;
        this.carry = Buffer.alloc(0);
        continue;
      }
      const len = Math.min(BLOCK, f.end - this.offset);
      const { bytesRead } = await f.fh.read(this.buf, 0, len, this.offset);
      if (bytesRead === 0) {
        this.offset = f.end;
        continue;
      }
      this.offset += bytesRead;
      let block = this.buf.subarray(0, bytesRead);
      if (this.carry.length) block = Buffer.concat([this.carry, block]);
      const cut = block.lastIndexOf(10) + 1;
      this.carry = Buffer.from(block.subarray(cut));
      const text = block.toString("utf8", 0, cut);
      let start = 0;
      while (start < text.length) {
        const nl = text.indexOf("\n", start);
        const line = text.slice(start, nl);
        start = nl + 1;
        if (!line) continue;
        let rec: { log?: unknown; stream?: unknown; time?: unknown };
        try {
          rec = JSON.parse(line) as typeof rec;
        } catch {
          continue; // a torn line (a crash mid-write): skip it, as docker does
        }
        if (typeof rec.log !== "string" || typeof rec.time !== "string") continue;
        const stream: OutputStream = rec.stream === "stderr" ? "stderr" : "stdout";
        if (since !== undefined || until !== undefined || timestamps) {
          const t = normalizeTime(rec.time);
          if (since !== undefined && t < since) continue;
          if (until !== undefined && t > until) {
            this.done = true;
            break;
          }
          out.push(stream, timestamps ? `${t} ${rec.log}` : rec.log);
        } else out.push(stream, rec.log);
      }
    }
    return { data: out.take(), done: this.done };
  }

  async close(): Promise<void> {
    this.done = true;
    await Promise.all(this.files.map((f) => f.fh.close().catch(() => undefined)));
  }
}

/** The time of the last complete line of the newest non-empty file, or null. */
async function lastLineTime(files: LogFile[]): Promise<string | null> {
  for (let i = files.length - 1; i >= 0; i--) {
    const f = files[i]!;
    if (f.end === 0) continue;
    const start = await lastNewlineEnd(f.fh, f.end - 1);
    const buf = Buffer.alloc(f.end - start);
    await f.fh.read(buf, 0, buf.length, start);
    try {
      const rec = JSON.parse(buf.toString("utf8")) as { time?: unknown };
      if (typeof rec.time === "string") return normalizeTime(rec.time);
    } catch {
      /* torn: look no further back than this file */
    }
    return null;
  }
  return null;
}
