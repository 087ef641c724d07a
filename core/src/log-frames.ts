/**
 * Container output on the wire to `berth logs`: Docker's multiplexed stream framing — an 8-byte
 * header (stream 1 = stdout, 2 = stderr; 3 zero bytes; payload length, big-endian uint32) then
 * the payload. Consecutive lines of one stream share a frame, so a big log costs few frames, and
 * the client needs no JSON parsing per line.
 */
export type OutputStream = "stdout" | "stderr";

const STREAM_BYTE: Record<OutputStream, number> = { stdout: 1, stderr: 2 };
const HEADER = 8;

/** Collects lines into frames; `take()` hands over what is collected as one buffer. */
export class FrameWriter {
  private parts: Buffer[] = [];
  private size = 0;
  private openStream: OutputStream | undefined;
  private openText = "";

  /** `text` is written as is (the caller adds "\n" and any timestamp). */
  push(stream: OutputStream, text: string): void {
    if (stream !== this.openStream) this.close();
    this.openStream = stream;
    this.openText += text;
    if (this.openText.length >= 64 * 1024) this.close();
  }

  /** Bytes collected so far (approximate while a frame is open). */
  get length(): number {
    return this.size + this.openText.length;
  }

  private close(): void {
    if (this.openStream === undefined || this.openText === "") return;
    const body = Buffer.from(this.openText, "utf8");
    const h = Buffer.alloc(HEADER);
    h[0] = STREAM_BYTE[this.openStream];
    h.writeUInt32BE(body.length, 4);
    this.parts.push(h, body);
    this.size += HEADER + body.length;
    this.openText = "";
  }

  take(): Buffer {
    this.close();
    this.openStream = undefined;
    const out = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return out;
  }
}

/** Splits a buffer of whole frames; calls `onFrame` for each in order. Throws on a malformed buffer. */
export function readFrames(buf: Uint8Array, onFrame: (stream: OutputStream, payload: Uint8Array) => void): void {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off < b.length) {
    if (off + HEADER > b.length) throw new Error("truncated log frame header");
    const kind = b[off];
    const len = b.readUInt32BE(off + 4);
    const start = off + HEADER;
    if (start + len > b.length) throw new Error("truncated log frame");
    if (kind !== 1 && kind !== 2) throw new Error(`unknown log frame stream ${kind}`);
    onFrame(kind === 1 ? "stdout" : "stderr", b.subarray(start, start + len));
    off = start + len;
  }
}
