import { Transform, type TransformCallback } from "node:stream";
import { parsePax } from "./pax.js";

const META_TYPES = new Set(["x", "g", "L", "K"]);

/** A numeric header field: octal text, or GNU base-256 when the high bit is set. */
function numField(b: Buffer): number {
  if (b[0]! & 0x80) {
    let n = b[0]! & 0x7f;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i]!;
    return n;
  }
  const s = b.toString("latin1").replace(/\0.*$/s, "").trim();
  return s ? parseInt(s, 8) : 0;
}

const cstr = (b: Buffer) => b.toString("utf8").replace(/\0.*$/s, "");

/**
 * Passes a tar stream through unchanged while reading its headers for what node-tar's parser
 * loses: the `SCHILY.xattr.*` records of PAX headers, as bytes. The parser downstream sees a
 * chunk only after this has read it, so an entry's attributes are known when the parser emits
 * the entry; `xattrsFor(path)` hands them out (by the entry's path as the tar spells it).
 */
export class TarXattrScanner extends Transform {
  private head: Buffer[] = [];
  private headLen = 0;
  private skip = 0;
  private meta: { type: string; remaining: number; chunks: Buffer[]; padded: number } | undefined;
  private pending: { path?: string; size?: number; xattrs?: Map<string, Buffer> } = {};
  private readonly found = new Map<string, Map<string, Buffer>[]>();

  /** The attributes recorded for the next entry named `path` (none: an empty map). */
  xattrsFor(path: string): Map<string, Buffer> {
    const q = this.found.get(path);
    const x = q?.shift();
    if (q && q.length === 0) this.found.delete(path);
    return x ?? new Map();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.scan(chunk);
    } catch (e) {
      return cb(e as Error);
    }
    cb(null, chunk);
  }

  private scan(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.skip -= n;
        off += n;
        continue;
      }
      if (this.meta) {
        const n = Math.min(this.meta.remaining, chunk.length - off);
        this.meta.chunks.push(chunk.subarray(off, off + n));
        this.meta.remaining -= n;
        off += n;
        if (this.meta.remaining === 0) {
          this.endMeta(this.meta.type, Buffer.concat(this.meta.chunks));
          this.skip = this.meta.padded;
          this.meta = undefined;
        }
        continue;
      }
      const n = Math.min(512 - this.headLen, chunk.length - off);
      this.head.push(chunk.subarray(off, off + n));
      this.headLen += n;
      off += n;
      if (this.headLen === 512) {
        const block = Buffer.concat(this.head, 512);
        this.head = [];
        this.headLen = 0;
        this.header(block);
      }
    }
  }

  private header(block: Buffer): void {
    if (block.every((b) => b === 0)) return; // end-of-archive blocks
    const type = String.fromCharCode(block[156]!) || "0";
    const size = this.pending.size ?? numField(block.subarray(124, 136));
    const padded = Math.ceil(size / 512) * 512 - size;
    if (META_TYPES.has(type)) {
      const metaSize = numField(block.subarray(124, 136));
      this.meta = { type, remaining: metaSize, chunks: [], padded: Math.ceil(metaSize / 512) * 512 - metaSize };
      if (metaSize === 0) {
        this.endMeta(type, Buffer.alloc(0));
        this.meta = undefined;
      }
      return;
    }
    const name = cstr(block.subarray(0, 100));
    const ustar = block.subarray(257, 262).toString("latin1") === "ustar";
    const prefix = ustar ? cstr(block.subarray(345, 500)) : "";
    const path = this.pending.path ?? (prefix ? `${prefix}/${name}` : name);
    if (this.pending.xattrs?.size) {
      const q = this.found.get(path) ?? [];
      q.push(this.pending.xattrs);
      this.found.set(path, q);
    }
    this.pending = {};
    this.skip = size + padded;
  }

  private endMeta(type: string, body: Buffer): void {
    if (type === "x") {
      const r = parsePax(body);
      const p = r.fields.get("path");
      const s = r.fields.get("size");
      if (p !== undefined) this.pending.path = p;
      if (s !== undefined && /^\d+$/.test(s)) this.pending.size = Number(s);
      if (r.xattrs.size) this.pending.xattrs = r.xattrs;
    } else if (type === "L") {
      this.pending.path = cstr(body);
    }
    // "g" (global) and "K" (long link name) carry nothing we look up.
  }
}
