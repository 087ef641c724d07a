/**
 * Compressed copies of local layers, for registries. Layers made or loaded on this host are
 * stored as plain tars (as in Docker's local store: making a layer then costs no gzip pass);
 * a push sends gzip, as `docker push` does. The gzip copy is made once and remembered by the
 * plain layer's digest (its diff_id) under content/compressed/, so a second push — to the same
 * registry or another — neither recompresses nor changes the pushed digest. GC keeps a copy as
 * long as an image uses its plain layer; were it swept, the next push would make the same bytes
 * again (the same tar and compressor settings give the same gzip).
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { digestHex, MediaType, type Descriptor } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import { LAYER_GZIP_LEVEL } from "./layer.js";

export const DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";
export const DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/** The layer is a plain tar: a registry should get a compressed copy. */
export const isUncompressedLayer = (d: Descriptor) => d.mediaType === MediaType.layerTar || d.mediaType === DOCKER_LAYER_TAR;

const mapDir = (blobs: ContentStore) => path.resolve(blobs.blobs, "..", "..", "compressed");

async function remembered(blobs: ContentStore, layer: Descriptor): Promise<{ digest: string; size: number } | undefined> {
  try {
    const m = JSON.parse(await fs.readFile(path.join(mapDir(blobs), digestHex(layer.digest)), "utf8")) as { digest?: unknown; size?: unknown };
    if (typeof m.digest !== "string" || typeof m.size !== "number") return undefined;
    return (await blobs.has(m.digest)) ? { digest: m.digest, size: m.size } : undefined;
  } catch {
    return undefined; // none yet, or unreadable: make it (again)
  }
}

/**
 * The descriptor to push for a local layer: itself if already compressed, else its gzip copy
 * (made now if there is none). `onCompress` is told before a copy is made (progress lines).
 */
export async function compressedLayer(blobs: ContentStore, layer: Descriptor, onCompress?: () => void): Promise<Descriptor> {
  if (!isUncompressedLayer(layer)) return layer;
  const mediaType = layer.mediaType === DOCKER_LAYER_TAR ? DOCKER_LAYER_GZIP : MediaType.layerGzip;
  const known = await remembered(blobs, layer);
  if (known) return { mediaType, ...known };
  onCompress?.();
  const ingest = await blobs.ingest(undefined, { offThreadHash: true });
  let c: { digest: string; size: number };
  try {
    await pipeline(blobs.open(layer.digest), createGzip({ level: LAYER_GZIP_LEVEL, chunkSize: 1 << 20 }), ingest.stream);
    c = await ingest.commit();
  } catch (e) {
    await ingest.abort();
    throw e;
  }
  const dir = mapDir(blobs);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.tmp-${randomUUID()}`);
  await fs.writeFile(tmp, JSON.stringify(c));
  await fs.rename(tmp, path.join(dir, digestHex(layer.digest)));
  return { mediaType, ...c };
}

/** The gzip copies remembered for these blobs (those that still exist). */
export async function compressedCopies(blobs: ContentStore, digests: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of digests) {
    const c = await remembered(blobs, { mediaType: MediaType.layerTar, digest: d, size: 0 });
    if (c) out.push(c.digest);
  }
  return out;
}
