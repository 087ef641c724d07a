import { MediaType, NotFound, type Descriptor, type ImageConfig, type ImageManifest } from "@berth/core";
import type { BlobReader, BlobWriter } from "@berth/core/content";
import { assertTagsMovable } from "./tags.js";
import type { PrismaClient } from "@berth/core/db";
import type { LayerBlob } from "./layer.js";

export interface ResolvedImage {
  id: string;
  manifest: ImageManifest;
  config: ImageConfig;
}

/** Reads an image's manifest and config from the content store by its DB row. */
export async function loadImage(db: PrismaClient, blobs: BlobReader, imageId: string): Promise<ResolvedImage> {
  const row = await db.image.findUnique({ where: { id: imageId }, select: { id: true, manifestDigest: true } });
  if (!row) throw new NotFound(`image ${imageId}`);
  return readImage(blobs, row);
}

/** An image's manifest and config, its row already in hand. */
export async function readImage(blobs: BlobReader, row: { id: string; manifestDigest: string }): Promise<ResolvedImage> {
  const manifest = await readJson<ImageManifest>(blobs, row.manifestDigest);
  const config = await readJson<ImageConfig>(blobs, manifest.config.digest);
  return { id: row.id, manifest, config };
}

/**
 * Manifests and configs read lately, by digest, as text (each read parses a fresh copy). A blob
 * never changes under its digest, so a remembered one is never stale; every build reads its
 * base image's two again, and two file reads cost more than a cached step.
 */
const recentJson = new Map<string, string>();
const RECENT_JSON_MAX = 256;
const RECENT_JSON_BYTES = 256 * 1024;

async function readJson<T>(blobs: BlobReader, digest: string): Promise<T> {
  let text = recentJson.get(digest);
  if (text === undefined) {
    text = (await blobs.read(digest)).toString("utf8");
    if (text.length <= RECENT_JSON_BYTES) {
      recentJson.set(digest, text);
      if (recentJson.size > RECENT_JSON_MAX) recentJson.delete(recentJson.keys().next().value!);
    }
  }
  return JSON.parse(text) as T;
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
  return writeImage(db, blobs, { config: Buffer.from(JSON.stringify(full)), layers: layers.map((l) => l.descriptor), tags: [ref] });
}

export interface NewImage {
  /** The config exactly as it is to be stored: its sha256 is the image id. */
  config: Buffer;
  /** Layer blobs, already in the store. */
  layers: Descriptor[];
  /** Refs ("name:tag") to point at the image; others keep theirs. */
  tags: string[];
  /** A manifest to keep byte for byte (one loaded from an OCI layout); else one is written. */
  manifest?: Buffer;
  /** The team new tags belong to (a moved tag keeps its team); none: shared. */
  teamId?: string | undefined;
  /** Check each tag is the caller's to move (pull, load): set with the caller's site-admin bit. */
  siteAdmin?: boolean | undefined;
}

/** Stores an image's config and manifest, records the Image row and points the tags at it. */
export async function writeImage(db: PrismaClient, blobs: BlobWriter, img: NewImage): Promise<{ id: string; manifestDigest: string }> {
  const cfg = await blobs.write(img.config);
  const manifestBytes =
    img.manifest ??
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.manifest,
        config: { mediaType: MediaType.config, digest: cfg.digest, size: cfg.size },
        layers: img.layers,
      } satisfies ImageManifest),
    );
  const man = await blobs.write(manifestBytes);
  const size = img.layers.reduce((n, l) => n + l.size, 0) + cfg.size;
  // A rebuild that changed nothing (fully cached): the rows already say all this, so no write.
  if (await unchanged(db, { id: cfg.digest, manifestDigest: man.digest, size }, img.tags)) return { id: cfg.digest, manifestDigest: man.digest };
  const image = { where: { id: cfg.digest }, create: { id: cfg.digest, manifestDigest: man.digest, size: BigInt(size) }, update: { manifestDigest: man.digest, size: BigInt(size) } };
  if (img.siteAdmin !== undefined) {
    // Whose tags these are is checked in the same transaction that moves them.
    const owner = { teamId: img.teamId, siteAdmin: img.siteAdmin };
    await db.$transaction(async (tx) => {
      await assertTagsMovable(tx, img.tags, owner);
      await tx.image.upsert(image);
      for (const ref of img.tags) await tx.imageTag.upsert({ where: { ref }, create: { ref, imageId: cfg.digest, teamId: img.teamId ?? null }, update: { imageId: cfg.digest } });
    });
    return { id: cfg.digest, manifestDigest: man.digest };
  }
  await db.$transaction([
    db.image.upsert(image),
    ...img.tags.map((ref) => db.imageTag.upsert({ where: { ref }, create: { ref, imageId: cfg.digest, teamId: img.teamId ?? null }, update: { imageId: cfg.digest } })),
  ]);
  return { id: cfg.digest, manifestDigest: man.digest };
}

/** The image row is as given and every tag already points at it. */
async function unchanged(db: PrismaClient, row: { id: string; manifestDigest: string; size: number }, tags: string[]): Promise<boolean> {
  // One query: the row, and which of the tags already point at it.
  const image = await db.image.findUnique({ where: { id: row.id }, select: { manifestDigest: true, size: true, tags: { where: { ref: { in: tags } }, select: { ref: true } } } });
  return !!image && image.manifestDigest === row.manifestDigest && image.size === BigInt(row.size) && image.tags.length === new Set(tags).size;
}
