import { MediaType, NotFound, type ImageConfig, type ImageManifest } from "@berth/core";
import type { BlobReader, BlobWriter } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import type { LayerBlob } from "./layer.js";

export interface ResolvedImage {
  id: string;
  manifest: ImageManifest;
  config: ImageConfig;
}

/** Reads an image's manifest and config from the content store by its DB row. */
export async function loadImage(db: PrismaClient, blobs: BlobReader, imageId: string): Promise<ResolvedImage> {
  const row = await db.image.findUnique({ where: { id: imageId } });
  if (!row) throw new NotFound(`image ${imageId}`);
  const manifest = JSON.parse((await blobs.read(row.manifestDigest)).toString("utf8")) as ImageManifest;
  const config = JSON.parse((await blobs.read(manifest.config.digest)).toString("utf8")) as ImageConfig;
  return { id: row.id, manifest, config };
}

/** Writes config + manifest blobs for the given layers and points `ref` at the image. */
export async function commitImage(
  db: PrismaClient,
  blobs: BlobWriter,
  ref: string,
  layers: LayerBlob[],
  config: Omit<ImageConfig, "rootfs">,
): Promise<{ id: string; manifestDigest: string }> {
  const full: ImageConfig = { ...config, rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) } };
  const cfg = await blobs.write(JSON.stringify(full));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.manifest,
    config: { mediaType: MediaType.config, digest: cfg.digest, size: cfg.size },
    layers: layers.map((l) => l.descriptor),
  };
  const man = await blobs.write(JSON.stringify(manifest));
  const size = layers.reduce((n, l) => n + l.descriptor.size, 0) + cfg.size;
  await db.$transaction([
    db.image.upsert({
      where: { id: cfg.digest },
      create: { id: cfg.digest, manifestDigest: man.digest, size },
      update: { manifestDigest: man.digest, size },
    }),
    db.imageTag.upsert({ where: { ref }, create: { ref, imageId: cfg.digest }, update: { imageId: cfg.digest } }),
  ]);
  return { id: cfg.digest, manifestDigest: man.digest };
}
