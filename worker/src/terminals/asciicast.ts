import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { RecordingInfo } from "@berth/core";

/** A recording stops growing here (a runaway `yes` must not fill the disk). */
export const MAX_RECORDING_BYTES = 16 * 1024 * 1024;

/**
 * Writes a terminal's output as asciicast v2 (asciinema's format: a JSON header line, then one
 * `[seconds, "o", text]` line per chunk and `[seconds, "r", "COLSxROWS"]` per resize), so
 * `asciinema play` and asciinema-player replay it. `<id>.json` beside it says whose it is.
 */
export class AsciicastRecorder {
  private readonly out: fs.WriteStream;
  private readonly decoder = new StringDecoder("utf8");
  private readonly t0 = process.hrtime.bigint();
  private bytes = 0;
  private closed = false;

  private constructor(
    private readonly dir: string,
    readonly info: RecordingInfo,
  ) {
    this.out = fs.createWriteStream(path.join(dir, `${info.id}.cast`), { flags: "wx" });
    this.out.on("error", () => {
      this.closed = true; // disk trouble: the recording ends where it got to
    });
  }

  static async create(dir: string, info: Omit<RecordingInfo, "bytes" | "startedAt">, cols: number, rows: number, title: string): Promise<AsciicastRecorder> {
    await fsp.mkdir(dir, { recursive: true });
    const startedAt = new Date();
    const r = new AsciicastRecorder(dir, { ...info, startedAt: startedAt.toISOString(), bytes: 0 });
    const header = { version: 2, width: cols, height: rows, timestamp: Math.floor(startedAt.getTime() / 1000), title, env: { TERM: "xterm-256color", SHELL: "/bin/sh" } };
    r.line(JSON.stringify(header));
    await r.writeInfo();
    return r;
  }

  private seconds(): number {
    return Math.round(Number(process.hrtime.bigint() - this.t0) / 1000) / 1e6;
  }

  private line(s: string): void {
    if (this.closed || this.bytes + s.length + 1 > MAX_RECORDING_BYTES) return;
    this.bytes += Buffer.byteLength(s) + 1;
    this.out.write(`${s}\n`);
  }

  output(data: Buffer): void {
    // A multi-byte character split across two chunks is written whole, with the second.
    const text = this.decoder.write(data);
    if (text) this.line(JSON.stringify([this.seconds(), "o", text]));
  }

  resize(cols: number, rows: number): void {
    this.line(JSON.stringify([this.seconds(), "r", `${cols}x${rows}`]));
  }

  private async writeInfo(): Promise<void> {
    const file = path.join(this.dir, `${this.info.id}.json`);
    await fsp.writeFile(`${file}.tmp`, JSON.stringify({ ...this.info, bytes: this.bytes }));
    await fsp.rename(`${file}.tmp`, file);
  }

  /** Ends the file and records when it ended. */
  async close(): Promise<void> {
    if (this.info.endedAt) return;
    const rest = this.decoder.end();
    if (rest) this.line(JSON.stringify([this.seconds(), "o", rest]));
    this.info.endedAt = new Date().toISOString();
    this.closed = true;
    await new Promise<void>((resolve) => this.out.end(resolve));
    await this.writeInfo();
  }
}
