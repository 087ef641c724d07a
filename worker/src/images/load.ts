import { pipeline } from "node:stream";
import { digestHex, InvalidArgument, sha256, type Descriptor, type ImageConfig, type ImageManifest, type Logger, type RegistryProgress } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { readArchive, type ArchiveImage } from "./archive-read.js";
import { byteProgress, humanBytes } from "./byte-progress.js";
import { ingestLayer, type PendingLayer } from "./ingest-layer.js";
import { LayerChecker } from "./layer-check.js";
import { storeLock } from "./lock.js";
import { writeImage } from "./store.js";
import { assertTagsMovable, pointTags } from "./tags.js";
import { TarIndex } from "./tar-index.js";

export interface LoadDeps {
  db: PrismaClient;
  blobs: ContentStore;
  log?: Logger;
  /** The team new tags belong to (the loader's); none: shared base images. */
  teamId?: string | undefined;
  /** Set (with the loader's site-admin bit): tags of another team, or shared ones, are refused. */
  siteAdmin?: boolean | undefined;
}

/** Docker-style progress: `{id: "<12 hex of the diff_id>", status: "Loading layer" | "Loading 12.3MB/1.07GB" | "Loaded" | "Already exists"}`. */
export type LoadProgress = RegistryProgress;

export interface LoadedImage {
  id: string;
  tags: string[];
}

/**
 * diff_id → a layer blob already in the store, from the images Berth has. A loaded
 * layer whose diff_id is known is not stored again (Docker's layer store does the same by
 * chain id); its content was verified when it was first stored.
 */
async function knownLayers(db: PrismaClient, blobs: ContentStore): Promise<Map<string, Descriptor>> {
  const out = new Map<string, Descriptor>();
  for (const row of await db.image.findMany({ select: { manifestDigest: true } })) {
    try {
      const m = JSON.parse((await blobs.read(row.manifestDigest)).toString("utf8")) as ImageManifest;
      const c = JSON.parse((await blobs.read(m.config.digest)).toString("utf8")) as ImageConfig;
      c.rootfs.diff_ids.forEach((d, i) => {
        const l = m.layers[i];
        if (l && !out.has(d)) out.set(d, l);
      });
    } catch {
      /* an image with missing blobs: ignore it here */
    }
  }
  return out;
}

/** The image row exists and every blob it needs is in the store. */
async function complete(d: LoadDeps, id: string): Promise<boolean> {
  const row = await d.db.image.findUnique({ where: { id } });
  if (!row) return false;
  try {
    const m = JSON.parse((await d.blobs.read(row.manifestDigest)).toString("utf8")) as ImageManifest;
    const all = await Promise.all([m.config.digest, ...m.layers.map((l) => l.digest)].map((b) => d.blobs.has(b)));
    return all.every(Boolean);
  } catch {
    return false;
  }
}

function parseConfig(bytes: Buffer, what: string): ImageConfig {
  let c: ImageConfig;
  try {
    c = JSON.parse(bytes.toString("utf8")) as ImageConfig;
  } catch (e) {
    throw new InvalidArgument(`${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (!c || typeof c !== "object" || !c.rootfs || !Array.isArray(c.rootfs.diff_ids)) throw new InvalidArgument(`${what} has no rootfs.diff_ids`);
  return c;
}

/**
 * Loads every image of a docker-archive or OCI-layout tar: layers are streamed into the
 * content store (as they came: gzip or plain tar), their diff_ids checked against each
 * config and their entries checked for tar-slip; config and manifest are written, the
 * Image rows and tags recorded. All or nothing: every blob stays in ingest/ until the
 * whole archive verified, so a refused archive leaves no blob, row or tag behind.
 */
export async function loadArchive(d: LoadDeps, file: string, onProgress?: (p: LoadProgress) => void): Promise<LoadedImage[]> {
  const idx = await TarIndex.open(file);
  const contents = await readArchive(idx);
  if (contents.skippedTags.length) d.log?.warn({ tags: contents.skippedTags }, "load: ignoring image names Berth cannot use");
  const owner = d.siteAdmin === undefined ? undefined : { teamId: d.teamId, siteAdmin: d.siteAdmin };
  // Before any byte is stored: a tag the loader may not move refuses the whole archive.
  if (owner) await assertTagsMovable(d.db, contents.images.flatMap((i) => i.tags), owner);
  return storeLock.shared(async () => {
    const known = await knownLayers(d.db, d.blobs);
    const pending: PendingLayer[] = [];
    /** Layers stored (uncommitted) by this load: images of one archive share them. */
    const fresh = new Map<string, Descriptor>();
    try {
      const plans: { img: ArchiveImage; config: Buffer; layers: Descriptor[]; keepManifest: Buffer | undefined; existing?: string }[] = [];
      for (const [n, img] of contents.images.entries()) {
        const what = `image ${n + 1} of the archive`;
        const config = await idx.read(img.configMember, 16 << 20);
        const id = sha256(config);
        if (img.configDigest && img.configDigest !== id) throw new InvalidArgument(`${what}: config digest mismatch: expected ${img.configDigest}, got ${id}`);
        const cfg = parseConfig(config, `${what}'s config`);
        if (cfg.rootfs.diff_ids.length !== img.layers.length) {
          throw new InvalidArgument(`${what}: the config lists ${cfg.rootfs.diff_ids.length} layers, the manifest ${img.layers.length}`);
        }
        if (await complete(d, id)) {
          // Berth has this very image already: only the tags are new.
          plans.push({ img, config, layers: [], keepManifest: undefined, existing: id });
          continue;
        }
        const checker = new LayerChecker();
        const layers: Descriptor[] = [];
        let verbatim = true;
        for (const [i, layer] of img.layers.entries()) {
          const diffId = cfg.rootfs.diff_ids[i]!;
          const id = digestHex(diffId).slice(0, 12);
          const have = fresh.get(diffId) ?? known.get(diffId);
          if (have && (fresh.has(diffId) || (await d.blobs.has(have.digest)))) {
            onProgress?.({ id, status: "Already exists" });
            layers.push(have);
            verbatim &&= have.digest === layer.digest;
            continue;
          }
          const total = humanBytes(idx.member(layer.member).size);
          onProgress?.({ id, status: "Loading layer" });
          const counted = pipeline(idx.open(layer.member), byteProgress((n) => onProgress?.({ id, status: `Loading ${humanBytes(n)}/${total}` })), () => undefined);
          const p = await ingestLayer(counted, d.blobs, {
            ...(layer.digest ? { expectedDigest: layer.digest } : {}),
            expectedDiffId: diffId,
            checker,
            label: `layer ${i + 1} of ${what} (${layer.member}, ${layer.digest ?? diffId})`,
          });
          onProgress?.({ id, status: "Loaded" });
          pending.push(p);
          fresh.set(diffId, p.descriptor);
          layers.push(p.descriptor);
          verbatim &&= p.descriptor.digest === (layer.digest ?? p.sourceDigest);
        }
        const keepManifest = verbatim && img.manifest ? await idx.read(img.manifest.member, 16 << 20) : undefined;
        if (keepManifest && sha256(keepManifest) !== img.manifest!.digest) throw new InvalidArgument(`${what}: manifest digest mismatch`);
        plans.push({ img, config, layers, keepManifest });
      }
      // Everything verified: make it visible, blobs first, then rows.
      for (const p of pending) await p.commit();
      pending.length = 0;
      const out: LoadedImage[] = [];
      for (const p of plans) {
        if (p.existing) {
          const imageId = p.existing;
          if (owner) await pointTags(d.db, p.img.tags, imageId, owner);
          else await d.db.$transaction(p.img.tags.map((ref) => d.db.imageTag.upsert({ where: { ref }, create: { ref, imageId, teamId: d.teamId ?? null }, update: { imageId } })));
          out.push({ id: imageId, tags: p.img.tags });
          continue;
        }
        const { id } = await writeImage(d.db, d.blobs, { config: p.config, layers: p.layers, tags: p.img.tags, teamId: d.teamId, siteAdmin: d.siteAdmin, ...(p.keepManifest ? { manifest: p.keepManifest } : {}) });
        out.push({ id, tags: p.img.tags });
      }
      return out;
    } finally {
      await Promise.all(pending.map((p) => p.abort()));
    }
  });
}
