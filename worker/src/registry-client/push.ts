/**
 * Pushes a local image: each blob (layers, then config) is HEADed first and skipped if the
 * registry has it, else mounted from another repository of the same registry that Berth
 * knows holds it (the image's other tags there), else uploaded; at most 3 at a time. Plain-tar
 * layers (how Berth stores the layers it makes) go as their gzip copies, as Docker pushes; the
 * manifest then names those, otherwise it goes byte for byte as stored (its digest the local one).
 */
import { createReadStream } from "node:fs";
import { NotFound, sha256, Unavailable, type Descriptor, type ImageManifest } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { compressedLayer } from "../images/compressed-layer.js";
import { TransientError, type RegistryClient } from "./client.js";
import { mapLimit, shortDigest, type ProgressFn } from "./progress.js";

export interface PushDeps {
  db: PrismaClient;
  blobs: ContentStore;
}

export interface PushTarget {
  registry: string;
  /** Repository path in the registry ("alice/app"). */
  repository: string;
  /** Tag (or the manifest digest when pushing by digest). */
  reference: string;
}

export const PARALLEL_TRANSFERS = 3;

/** Other repositories on the same registry that local tags of this image name: mount sources. */
async function mountSources(d: PushDeps, imageId: string, t: PushTarget): Promise<string[]> {
  const tags = await d.db.imageTag.findMany({ where: { imageId }, select: { ref: true } });
  const repos = new Set<string>();
  for (const { ref } of tags) {
    if (!ref.startsWith(`${t.registry}/`)) continue;
    const repo = ref.slice(t.registry.length + 1).replace(/:[^/:]+$/, "");
    if (repo !== t.repository) repos.add(repo);
  }
  return [...repos].slice(0, 3);
}

export async function pushImage(d: PushDeps, client: RegistryClient, imageId: string, t: PushTarget, progress: ProgressFn): Promise<{ digest: string; size: number }> {
  const row = await d.db.image.findUnique({ where: { id: imageId } });
  if (!row) throw new NotFound(`image ${imageId}`);
  const manifestBytes = await d.blobs.read(row.manifestDigest);
  const manifest = JSON.parse(manifestBytes.toString("utf8")) as ImageManifest;
  const sources = await mountSources(d, imageId, t);
  const repo = t.repository;
  progress({ id: "", status: `The push refers to repository [${t.registry}/${repo}]` });

  const pushBlob = async (desc: Descriptor, isConfig: boolean) => {
    const id = shortDigest(desc.digest);
    const size = await d.blobs.size(desc.digest);
    if (await client.hasBlob(repo, desc.digest)) {
      if (!isConfig) progress({ id, status: "Layer already exists" });
      return;
    }
    let location: string | undefined;
    for (const from of sources) {
      const m = await client.mountBlob(repo, desc.digest, from).catch(() => undefined);
      if (m === true) {
        if (!isConfig) progress({ id, status: `Mounted from ${from}` });
        return;
      }
      if (m) location = m;
      break;
    }
    if (!isConfig) progress({ id, status: "Pushing" });
    const file = d.blobs.blobPath(desc.digest);
    let first = true;
    await client.retry(`upload ${desc.digest}`, async () => {
      // A retry starts a fresh upload session; the abandoned one expires on the registry.
      const loc = first ? location : undefined;
      first = false;
      await client.uploadBlob(repo, desc.digest, size, (start, end) => createReadStream(file, { start, end: end - 1, highWaterMark: 1 << 20 }), loc ? { location: loc } : {});
    });
    if (!isConfig) progress({ id, status: "Pushed" });
  };

  let pushed = manifestBytes;
  try {
    // A gzip copy is kept by GC as long as this image's plain layer is (compressed-layer.ts).
    const layers = await mapLimit(manifest.layers, PARALLEL_TRANSFERS, async (l) => {
      const c = await compressedLayer(d.blobs, l, () => progress({ id: shortDigest(l.digest), status: "Preparing" }));
      await pushBlob(c, false);
      return c;
    });
    await pushBlob(manifest.config, true);
    if (layers.some((l, i) => l.digest !== manifest.layers[i]!.digest)) pushed = Buffer.from(JSON.stringify({ ...manifest, layers }));
    const mediaType = (manifest as { mediaType?: string }).mediaType ?? "application/vnd.oci.image.manifest.v1+json";
    await client.putManifest(repo, t.reference, pushed, mediaType);
  } catch (e) {
    if (e instanceof TransientError) throw new Unavailable(`push to ${t.registry} failed after retries: ${e.message}`);
    throw e;
  }
  const digest = pushed === manifestBytes ? row.manifestDigest : sha256(pushed);
  progress({ id: "", status: `${t.reference}: digest: ${digest} size: ${pushed.length}` });
  return { digest, size: pushed.length };
}
