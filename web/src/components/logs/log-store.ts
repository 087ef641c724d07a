/**
 * A container's log held compactly in the browser: the lines' UTF-8 bytes back to back in one
 * growing buffer, a start offset and a stream flag per line in typed arrays. A million lines of
 * ~60 bytes cost ~65 MB here and no DOM node or object per line; a line becomes a string only
 * when it is on screen (or searched).
 *
 * Every line arrives as `berth logs -t` sends it: "<30-char RFC 3339 nano time> <text>\n", in
 * Docker's multiplexed frames (8-byte header: stream 1 stdout / 2 stderr, length big-endian).
 */
export const STDERR = 1;
/** "2026-12-06T04:24:43.123456789Z " */
export const TIME_PREFIX = 31;

const decoder = new TextDecoder();

export class LogStore {
  private bytes = new Uint8Array(1 << 20);
  private used = 0;
  /** starts[i] = offset of line i; starts[count] = end of the last line. */
  private starts = new Uint32Array(1 << 14);
  private flags = new Uint8Array(1 << 14);
  private n = 0;
  /** Bumped on every change: what a view renders from. */
  version = 0;

  get count(): number {
    return this.n;
  }

  get byteLength(): number {
    return this.used;
  }

  clear(): void {
    this.used = 0;
    this.n = 0;
    this.starts[0] = 0;
    this.version++;
  }

  /** Lines at or before this time are already held (a new read after a restart): skipped. */
  private skipThrough: string | undefined;

  /** A new read of the same log begins: lines up to the newest held are skipped as they come again. */
  resume(): void {
    this.skipThrough = this.lastTime();
  }

  /** Appends a buffer of whole frames. Returns the lines added. */
  appendFrames(buf: Uint8Array): number {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let off = 0;
    let added = 0;
    while (off + 8 <= buf.length) {
      const kind = buf[off];
      const len = view.getUint32(off + 4);
      const start = off + 8;
      if (start + len > buf.length) throw new Error("truncated log frame");
      if (kind !== 1 && kind !== 2) throw new Error(`unknown log frame stream ${kind}`);
      added += this.appendLines(buf.subarray(start, start + len), kind === 2 ? STDERR : 0);
      off = start + len;
    }
    if (added) this.version++;
    return added;
  }

  private appendLines(payload: Uint8Array, flag: number): number {
    let added = 0;
    let from = 0;
    while (from < payload.length) {
      let nl = payload.indexOf(10, from);
      if (nl < 0) nl = payload.length - 1; // a last line without "\n" (not sent today): kept whole
      const line = payload.subarray(from, nl + 1);
      from = nl + 1;
      if (this.skipThrough !== undefined) {
        if (decoder.decode(line.subarray(0, TIME_PREFIX - 1)) <= this.skipThrough) continue;
        this.skipThrough = undefined; // times only grow: no need to look again
      }
      this.push(line, flag);
      added++;
    }
    return added;
  }

  private push(line: Uint8Array, flag: number): void {
    if (this.used + line.length > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < this.used + line.length) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.bytes.subarray(0, this.used));
      this.bytes = next;
    }
    if (this.n + 2 > this.starts.length) {
      const starts = new Uint32Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
      const flags = new Uint8Array(this.flags.length * 2);
      flags.set(this.flags);
      this.flags = flags;
    }
    this.bytes.set(line, this.used);
    this.flags[this.n] = flag;
    this.starts[this.n] = this.used;
    this.used += line.length;
    this.n++;
    this.starts[this.n] = this.used;
  }

  isStderr(i: number): boolean {
    return (this.flags[i]! & STDERR) !== 0;
  }

  /** Line i's text without its time and "\n". */
  text(i: number): string {
    const s = this.starts[i]! + TIME_PREFIX;
    let e = this.starts[i + 1]!;
    if (e > s && this.bytes[e - 1] === 10) e--;
    return e > s ? decoder.decode(this.bytes.subarray(s, e)) : "";
  }

  /** Line i's time (RFC 3339 with nanoseconds). */
  time(i: number): string {
    const s = this.starts[i]!;
    return decoder.decode(this.bytes.subarray(s, s + TIME_PREFIX - 1));
  }

  /** The time of the last line held, if any (where a new read picks up). */
  lastTime(): string | undefined {
    return this.n ? this.time(this.n - 1) : undefined;
  }

  /**
   * Lines [from, to) as one string, "\n" after each, times included: one decode for many lines
   * (search reads the log this way).
   */
  block(from: number, to: number): string {
    return decoder.decode(this.bytes.subarray(this.starts[from]!, this.starts[to]!));
  }
}

/** The lines shown under a stream filter: all of them, or the indices of one stream's lines. */
export type StreamFilter = "all" | "stdout" | "stderr";

export class FilteredView {
  private idx = new Uint32Array(1 << 12);
  private n = 0;
  /** Store lines looked at so far. */
  private scanned = 0;

  constructor(
    private readonly store: LogStore,
    readonly filter: StreamFilter,
  ) {}

  /** Takes in lines appended since the last call (a typed-array loop: ~1 ms per 100k lines). */
  update(): void {
    if (this.filter === "all") return;
    const want = this.filter === "stderr";
    const total = this.store.count;
    if (total < this.scanned) {
      this.scanned = 0;
      this.n = 0;
    }
    for (let i = this.scanned; i < total; i++) {
      if (this.store.isStderr(i) !== want) continue;
      if (this.n === this.idx.length) {
        const next = new Uint32Array(this.idx.length * 2);
        next.set(this.idx);
        this.idx = next;
      }
      this.idx[this.n++] = i;
    }
    this.scanned = total;
  }

  get count(): number {
    return this.filter === "all" ? this.store.count : this.n;
  }

  /** The store's index of row r of this view. */
  line(r: number): number {
    return this.filter === "all" ? r : this.idx[r]!;
  }

  /** The view's row of store line i, or of the first shown line after it (binary search). */
  rowOf(i: number): number {
    if (this.filter === "all") return i;
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.idx[mid]! < i) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  shows(i: number): boolean {
    return this.filter === "all" || this.store.isStderr(i) === (this.filter === "stderr");
  }
}
