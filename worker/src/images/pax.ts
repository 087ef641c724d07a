/**
 * PAX extended headers as Docker and containerd write them for layers: `path`, `linkpath`,
 * `uid`, `gid`, `size` when a field does not fit ustar, and `SCHILY.xattr.<name>` records for
 * extended attributes. Values are bytes (a file capability is binary, NULs and newlines
 * included), which node-tar's parser decodes as text and loses, so records are built and read
 * here, on buffers.
 */
import { Header } from "tar";

const XATTR_PREFIX = "SCHILY.xattr.";

/** One "<len> <key>=<value>\n" record; len counts the whole record, its own digits included. */
function record(key: string, value: Buffer | string): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), typeof value === "string" ? Buffer.from(value) : value, Buffer.from("\n")]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

export interface PaxFields {
  path?: string;
  linkpath?: string;
  uid?: number;
  gid?: number;
  size?: number;
  xattrs?: [string, Buffer][];
}

/** The `x` entry (header block + records, padded) that precedes the entry named `name`. */
export function paxEntry(name: string, f: PaxFields, mtime: Date): Buffer {
  const parts: Buffer[] = [];
  if (f.path !== undefined) parts.push(record("path", f.path));
  if (f.linkpath !== undefined) parts.push(record("linkpath", f.linkpath));
  if (f.uid !== undefined) parts.push(record("uid", String(f.uid)));
  if (f.gid !== undefined) parts.push(record("gid", String(f.gid)));
  if (f.size !== undefined) parts.push(record("size", String(f.size)));
  for (const [k, v] of f.xattrs ?? []) parts.push(record(`${XATTR_PREFIX}${k}`, v));
  const body = Buffer.concat(parts);
  const base = name.replace(/\/+$/, "").split("/").pop() ?? "";
  const block = Buffer.alloc(512);
  new Header({ path: `PaxHeaders.0/${base}`.slice(0, 99), type: "ExtendedHeader", size: body.length, mode: 0o644, uid: 0, gid: 0, mtime, uname: "", gname: "" }).encode(block, 0);
  const pad = body.length % 512 ? Buffer.alloc(512 - (body.length % 512)) : Buffer.alloc(0);
  return Buffer.concat([block, body, pad]);
}

export interface PaxRecords {
  /** Plain records (path, linkpath, size, …) as text. */
  fields: Map<string, string>;
  /** `SCHILY.xattr.<name>` records: name → raw bytes. */
  xattrs: Map<string, Buffer>;
}

/** Parses the body of an `x` (or `g`) entry. Malformed records end the parse, as in GNU tar. */
export function parsePax(body: Buffer): PaxRecords {
  const out: PaxRecords = { fields: new Map(), xattrs: new Map() };
  let off = 0;
  while (off < body.length) {
    const sp = body.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number(body.subarray(off, sp).toString("latin1"));
    if (!Number.isInteger(len) || len <= sp - off + 1 || off + len > body.length || body[off + len - 1] !== 0x0a) break;
    const rec = body.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq > 0) {
      const key = rec.subarray(0, eq).toString("utf8");
      const value = rec.subarray(eq + 1);
      if (key.startsWith(XATTR_PREFIX)) out.xattrs.set(key.slice(XATTR_PREFIX.length), Buffer.from(value));
      else out.fields.set(key, value.toString("utf8"));
    }
    off += len;
  }
  return out;
}
