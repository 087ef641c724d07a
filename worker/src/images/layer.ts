import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import * as tar from "tar";
import type { BlobWriter } from "@berth/core/content";
import { hashingStream as hashing, MediaType, type Descriptor } from "@berth/core";

export interface LayerBlob {
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
  /** Uncompressed size. */
  tarSize: number;
}

/** Every path under dir, sorted, so the same tree always gives the same tar bytes. */
async function listTree(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = (await fs.readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    out.push(p);
    if (e.isDirectory()) out.push(...(await listTree(dir, p)));
  }
  return out;
}

/**
 * gzip level of every layer Berth compresses (packed directories, and plain-tar layers loaded
 * or imported). One level everywhere keeps a layer's digest the same however it reached a
 * store (saved as a plain tar on one host, loaded on another). Level 1: gzip is the slowest
 * step of making a layer, level 6 takes about twice as long for layers ~5% smaller.
 */
export const LAYER_GZIP_LEVEL = 1;

/** Fixed timestamp for reproducible base layers (same input tree → same digest). */
export const EPOCH = new Date("2000-01-01T00:00:00Z");

/**
 * Packs a directory as a gzip layer into the content store. The diff_id (tar) and digest
 * (gzip) are computed in the same streaming pass; nothing is held in memory.
 */
export async function packDirectory(dir: string, blobs: BlobWriter, opts: { mtime?: Date } = {}): Promise<LayerBlob> {
  const files = await listTree(dir);
  const packer = tar.create({ cwd: dir, portable: true, noDirRecurse: true, ...(opts.mtime ? { mtime: opts.mtime } : {}) }, files);
  const tarHash = hashing();
  const gzHash = hashing();
  const ingest = await blobs.ingest();
  try {
    await pipeline(packer as unknown as NodeJS.ReadableStream, tarHash.stream, createGzip({ level: LAYER_GZIP_LEVEL, chunkSize: 1 << 20 }), gzHash.stream, ingest.stream);
    const { digest, size } = await ingest.commit();
    const gz = gzHash.result();
    if (gz.digest !== digest) throw new Error(`layer digest changed while writing: ${gz.digest} vs ${digest}`);
    const t = tarHash.result();
    return { descriptor: { mediaType: MediaType.layerGzip, digest, size }, diffId: t.digest, tarSize: t.size };
  } catch (e) {
    await ingest.abort();
    throw e;
  }
}

