import { createReadStream, type Stats } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Header, Pax } from "tar";
import { MediaType } from "@berth/core";
import type { BlobWriter } from "@berth/core/content";
import { opaqueDirs } from "./fsops.js";
import type { LayerBlob } from "./layer.js";
import { paxEntry } from "./pax.js";
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from "./whiteout.js";
import { readLayerXattrs } from "./xattrs.js";

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;
const major = (rdev: number) => (rdev >> 8) & 0xfff;
const minor = (rdev: number) => (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
const ZERO = Buffer.alloc(1024);

export interface PackUpperOptions {
  /** Timestamp for every entry (reproducible layers); default: each file's own mtime. */
  mtime?: Date;
  /** The directory can hold no opaque marks (a tree the builder assembled): skip reading xattrs. */
  noOpaque?: boolean;
}

/**
 * Turns an overlay upper dir (a RUN step's changes, or a directory COPY assembled) into a
 * layer: overlay's deletion marks (character devices 0/0) become `.wh.<name>` entries,
 * opaque directories get `.wh..wh..opq`; modes, owners, timestamps, symlinks, hard links and
 * device nodes are kept, and so are extended attributes (PAX `SCHILY.xattr.*`: file capabilities,
 * `user.*`; overlay's own are not the user's data). The tar is generated, hashed and written
 * in one streaming pass into the store, uncompressed as Docker's local layers are (see
 * packDirectory): nothing is held in memory or written twice.
 */
export async function packUpperDir(upper: string, blobs: BlobWriter, opts: PackUpperOptions = {}): Promise<LayerBlob> {
  const opaque = opts.noOpaque ? new Set<string>() : await opaqueDirs(upper);
  const ingest = await blobs.ingest(undefined, { offThreadHash: true });
  try {
    await pipeline(Readable.from(batched(tarEntries(upper, opaque, opts.mtime)), { objectMode: false }), ingest.stream);
    const { digest, size } = await ingest.commit();
    return { descriptor: { mediaType: MediaType.layerTar, digest, size }, diffId: digest, tarSize: size };
  } catch (e) {
    await ingest.abort();
    throw e;
  }
}

/** Coalesces small pieces (headers, small files) into ~1 MiB writes: a write per 512-byte header costs more than the copy. */
async function* batched(source: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for await (const b of source) {
    if (b.length >= 1 << 19) {
      // A big piece (file data) goes as it is, after what was gathered before it: no copy.
      if (size) yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      parts = [];
      size = 0;
      yield b;
      continue;
    }
    parts.push(b);
    size += b.length;
    if (size >= 1 << 20) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size) yield Buffer.concat(parts, size);
}

type EntryType = "File" | "Directory" | "SymbolicLink" | "Link" | "FIFO" | "CharacterDevice" | "BlockDevice";
interface Meta {
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  linkpath?: string;
  devmaj?: number;
  devmin?: number;
  xattrs?: [string, Buffer][];
}

/** Header block(s) of one entry: a pax header first when a field does not fit ustar (long names, big ids) or there are xattrs. */
function header(name: string, type: EntryType, size: number, m: Meta): Buffer {
  const h = new Header({ path: name, type, size, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime, uname: "", gname: "", linkpath: m.linkpath ?? "", devmaj: m.devmaj ?? 0, devmin: m.devmin ?? 0 });
  const block = Buffer.alloc(512);
  const needPax = h.encode(block, 0);
  if (m.xattrs?.length) {
    const long = needPax ? { path: name, ...(m.linkpath ? { linkpath: m.linkpath } : {}), uid: m.uid, gid: m.gid, size } : {};
    return Buffer.concat([paxEntry(name, { ...long, xattrs: m.xattrs }, m.mtime), block]);
  }
  if (!needPax) return block;
  const pax = new Pax({ path: name, ...(m.linkpath ? { linkpath: m.linkpath } : {}), uid: m.uid, gid: m.gid, size });
  return Buffer.concat([pax.encode(), block]);
}

const pad = (size: number) => (size % 512 ? ZERO.subarray(0, 512 - (size % 512)) : undefined);

async function* tarEntries(root: string, opaque: Set<string>, mtime: Date | undefined): AsyncGenerator<Buffer> {
  const links = new Map<string, string>();
  async function* walk(rel: string): AsyncGenerator<Buffer> {
    const names = (await fs.readdir(path.join(root, rel))).sort();
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, childRel);
      const st = await fs.lstat(abs);
      const meta: Meta = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: mtime ?? st.mtime };
      if (isWhiteout(st)) {
        yield header(rel ? `${rel}/${WHITEOUT_PREFIX}${name}` : `${WHITEOUT_PREFIX}${name}`, "File", 0, { ...meta, mode: 0o644, uid: 0, gid: 0 });
        continue;
      }
      const xattrs = readLayerXattrs(abs);
      if (xattrs.length) meta.xattrs = xattrs;
      if (st.isDirectory()) {
        yield header(`${childRel}/`, "Directory", 0, meta);
        if (opaque.has(childRel)) yield header(`${childRel}/${OPAQUE_MARKER}`, "File", 0, { mode: 0o644, uid: 0, gid: 0, mtime: meta.mtime });
        yield* walk(childRel);
        continue;
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first) {
          yield header(childRel, "Link", 0, { mode: meta.mode, uid: meta.uid, gid: meta.gid, mtime: meta.mtime, linkpath: first });
          continue;
        }
        links.set(key, childRel);
      }
      if (st.isFile()) {
        yield header(childRel, "File", st.size, meta);
        let n = 0;
        for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20 })) {
          const b = chunk as Buffer;
          n += b.length;
          if (n > st.size) throw new Error(`"${childRel}" grew while being archived`);
          yield b;
        }
        if (n !== st.size) throw new Error(`"${childRel}" changed while being archived: ${n} bytes instead of ${st.size}`);
        const p = pad(n);
        if (p) yield p;
      } else if (st.isSymbolicLink()) yield header(childRel, "SymbolicLink", 0, { ...meta, linkpath: await fs.readlink(abs) });
      else if (st.isFIFO()) yield header(childRel, "FIFO", 0, meta);
      else if (st.isCharacterDevice()) yield header(childRel, "CharacterDevice", 0, { ...meta, devmaj: major(st.rdev), devmin: minor(st.rdev) });
      else if (st.isBlockDevice()) yield header(childRel, "BlockDevice", 0, { ...meta, devmaj: major(st.rdev), devmin: minor(st.rdev) });
      // sockets: not archivable, as in tar
    }
  }
  yield* walk("");
  yield ZERO;
}
