import { TIME_PREFIX, type LogStore } from "./log-store";

/** ANSI escape sequences (colours, cursor moves): not part of what a user searches for. */
const ANSI = new RegExp(String.raw`\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)`, "g");

export const stripAnsi = (s: string) => (s.includes("\u001b") ? s.replace(ANSI, "") : s);

/** Lines per decode: one string for many lines keeps the per-line cost low. */
const BLOCK = 2_000;
/** Work per slice before the main thread is given back (well under a 50 ms long task). */
const SLICE_MS = 8;

export interface SearchProgress {
  /** Store indices of matching lines, ascending. */
  matches: Uint32Array;
  count: number;
  /** Lines searched so far. */
  searched: number;
  done: boolean;
}

/**
 * Case-insensitive search of every line held (times and colour codes excluded), in slices of a
 * few milliseconds so the page keeps answering at a million lines. It keeps going as lines
 * arrive (`extend`); `cancel` stops it. Reports after each slice.
 */
export class LogSearch {
  private matches = new Uint32Array(1 << 10);
  private n = 0;
  private next = 0;
  private cancelled = false;
  private running = false;
  private readonly needle: string;

  constructor(
    private readonly store: LogStore,
    query: string,
    private readonly report: (p: SearchProgress) => void,
  ) {
    this.needle = query.toLowerCase();
  }

  start(): void {
    this.schedule();
  }

  /** New lines arrived: search them too. */
  extend(): void {
    if (!this.running && this.next < this.store.count) this.schedule();
  }

  cancel(): void {
    this.cancelled = true;
  }

  private schedule(): void {
    if (this.cancelled) return;
    this.running = true;
    // A macrotask, so input and rendering get their turn between slices.
    setTimeout(() => this.slice(), 0);
  }

  private slice(): void {
    if (this.cancelled) return;
    const end = performance.now() + SLICE_MS;
    const total = this.store.count;
    while (this.next < total && performance.now() < end) {
      const to = Math.min(total, this.next + BLOCK);
      this.scan(this.next, to);
      this.next = to;
    }
    const done = this.next >= total;
    this.running = !done;
    this.report({ matches: this.matches, count: this.n, searched: this.next, done });
    if (!done) this.schedule();
  }

  private scan(from: number, to: number): void {
    const lines = this.store.block(from, to).split("\n");
    // split leaves "" after the last "\n"
    for (let k = 0; k < to - from; k++) {
      const raw = lines[k]!;
      const text = raw.length > TIME_PREFIX ? raw.slice(TIME_PREFIX) : "";
      if (!text) continue;
      const hay = stripAnsi(text).toLowerCase();
      if (!hay.includes(this.needle)) continue;
      if (this.n === this.matches.length) {
        const m = new Uint32Array(this.matches.length * 2);
        m.set(this.matches);
        this.matches = m;
      }
      this.matches[this.n++] = from + k;
    }
  }
}
