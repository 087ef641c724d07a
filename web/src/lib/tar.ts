/**
 * Just enough tar for the browser: write a ustar archive of files (a build context the
 * dashboard uploads) and read the first regular file of one (a file downloaded from a
 * container, which the archive route sends as a tar). Names longer than ustar's 100+155 bytes
 * get a PAX header, as GNU tar writes them.
 */

const enc = new TextEncoder();
const dec = new TextDecoder();
const BLOCK = 512;

export interface TarFile {
  /** Relative, "/"-separated ("app/Dockerfile"). */
  path: string;
  data: Uint8Array;
  mode?: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number, mode: number, type: string, mtime: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (s: string, off: number, len: number) => h.set(enc.encode(s).subarray(0, len), off);
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  put("        ", 148, 8);
  put(type, 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(octal(sum, 7) + " ", 148, 8);
  return h;
}

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + enc.encode(body).length !== len) len = String(len).length + enc.encode(body).length;
  return `${len}${body}`;
}

export function writeTar(files: TarFile[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const mtime = Math.floor(Date.now() / 1000);
  for (const f of files) {
    if (enc.encode(f.path).length > 100) {
      const pax = enc.encode(paxRecord("path", f.path));
      parts.push(header("PaxHeader", pax.length, 0o644, "x", mtime), pax, new Uint8Array(pad(pax.length)));
    }
    parts.push(header(f.path.slice(0, 100), f.data.length, f.mode ?? 0o644, "0", mtime), f.data, new Uint8Array(pad(f.data.length)));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function readString(b: Uint8Array, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const end = s.indexOf(0);
  return dec.decode(end < 0 ? s : s.subarray(0, end));
}

/** The first regular file in a tar (its name from a PAX header when there is one). */
export function firstFile(tar: Uint8Array): { name: string; data: Uint8Array } | undefined {
  let off = 0;
  let paxPath: string | undefined;
  while (off + BLOCK <= tar.length) {
    const name = readString(tar, off, 100);
    if (!name) return undefined;
    const size = parseInt(readString(tar, off + 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(tar[off + 156] ?? 48);
    const prefix = readString(tar, off + 345, 155);
    const body = tar.subarray(off + BLOCK, off + BLOCK + size);
    if (type === "x") {
      paxPath = /\d+ path=([^\n]*)\n/.exec(dec.decode(body))?.[1];
    } else if (type === "0" || type === "\0") {
      return { name: paxPath ?? (prefix ? `${prefix}/${name}` : name), data: body };
    } else paxPath = undefined;
    off += BLOCK + size + pad(size);
  }
  return undefined;
}
