/**
 * Writes container output lines to our stdout/stderr in arrival order. Consecutive lines
 * for the same stream are joined into one write (one syscall per burst, not per line);
 * `flush()` resolves once everything has been handed to the OS.
 */
import type { Writable } from "node:stream";

export type StreamName = "stdout" | "stderr";

export class LineWriter {
  private pending: { stream: StreamName; text: string }[] = [];
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly out: Record<StreamName, Writable> = { stdout: process.stdout, stderr: process.stderr }) {}

  line(stream: StreamName, line: string): void {
    const last = this.pending[this.pending.length - 1];
    if (last && last.stream === stream) last.text += line + "\n";
    else this.pending.push({ stream, text: line + "\n" });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  /** Hand everything queued so far to the streams; flushes run one after another, in order. */
  flush(): Promise<void> {
    this.scheduled = false;
    const chunks = this.pending;
    this.pending = [];
    this.chain = this.chain.then(async () => {
      for (const c of chunks) await write(this.out[c.stream], c.text);
    });
    return this.chain;
  }
}

/** Write and wait until the stream has taken it (respects back-pressure). */
export function write(stream: Writable, text: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (text.length === 0 || stream.write(text)) resolve();
    else stream.once("drain", resolve);
  });
}
