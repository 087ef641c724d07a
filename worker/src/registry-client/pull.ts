/**
 * Pulls an image: the manifest (an index or manifest list resolves to linux/<this host's
 * arch>), the config and each missing layer (at most 3 at a time), every blob verified
 * against its digest and each layer's uncompressed bytes against the config's diff_ids.
 * Nothing is visible until all of it verified: layers wait in ingest/, then blobs are
 * committed, then the Image row and the tag are written. A failed pull leaves no tag and no
 * blob behind.
 */
import { pipeline } from "node:stream";
import { BerthError, InvalidArgument, isNotFound, isPermissionDenied, isUnauthenticated, MediaType, sha256, Unavailable, type Descriptor, type ImageConfig } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { ingestLayer, type PendingLayer } from "../images/ingest-layer.js";
import { byteProgress, humanBytes } from "../images/byte-progress.js";
import { compressedCopies } from "../images/compressed-layer.js";
import { checkImage, LayerEntries } from "../images/layer-check.js";
import { storeLock } from "../images/lock.js";
import { writeImage } from "../images/store.js";
import { MANIFEST_TYPES, TransientError, type RegistryClient } from "./client.js";
import { mapLimit, shortDigest, type ProgressFn } from "./progress.js";
import { PARALLEL_TRANSFERS } from "./push.js";

export interface PullDeps {
  db: PrismaClient;
  blobs: ContentStore;
  /** The team a new tag belongs to (the puller's); none: a shared base image. */
  teamId?: string | undefined;
  /** Set (with the puller's site-admin bit): a tag of another team's, or a shared one, is refused. */
  siteAdmin?: boolean | undefined;
}

export interface PullSource {
  registry: string;
  repository: string;
  /** Tag or "sha256:…". */
  reference: string;
}

interface Manifest {
  schemaVersion?: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

interface Index {
  manifests: (Descriptor & { platform?: { os?: string; architecture?: string; variant?: string } })[];
}

const LAYER_TYPES = new Set([
  MediaType.layerGzip,
  MediaType.layerTar,
  "application/vnd.docker.image.rootfs.diff.tar.gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
]);

/**
 * A Dev Container Feature as published (containers.dev/implementors/features-distribution): an
 * artifact whose one layer is a plain tar of the feature's folder, with an empty config. Pulled as
 * an image of that one layer (config made here), so a build can copy the feature from it.
 */
export const FEATURE_TYPES = { config: "application/vnd.devcontainers", layer: "application/vnd.devcontainers.layer.v1+tar" } as const;

function featureConfig(layers: Descriptor[]): Buffer {
  // An uncompressed layer's diff_id is its own digest.
  return Buffer.from(JSON.stringify({ architecture: ociArch(), os: "linux", config: {}, rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) }, history: [{ created_by: "devcontainer feature" }] }));
}

/** Node's arch as OCI names it. */
export function ociArch(arch: string = process.arch): string {
  return ({ x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" } as Record<string, string>)[arch] ?? arch;
}

/** The manifest for linux/<arch> in an index or manifest list. */
export function pickPlatform(index: Index, arch = ociArch()): Descriptor {
  const ok = (index.manifests ?? []).filter((m) => m.platform?.os === "linux" && m.platform.architecture === arch);
  const pick = ok.find((m) => !m.platform?.variant || m.platform.variant === "v8") ?? ok[0];
  if (!pick) {
    const have = (index.manifests ?? []).map((m) => `${m.platform?.os ?? "?"}/${m.platform?.architecture ?? "?"}`).join(", ");
    throw new InvalidArgument(`no manifest for linux/${arch} in the image index (it has: ${have || "none"})`);
  }
  return pick;
}

export async function pullImage(d: PullDeps, client: RegistryClient, src: PullSource, localRef: string | undefined, progress: ProgressFn): Promise<{ id: string; digest: string }> {
  const repo = src.repository;
  try {
    progress({ id: "", status: `${src.reference.startsWith("sha256:") ? "" : `${src.reference}: `}Pulling from ${repo}` });
    let m = await client.getManifest(repo, src.reference).catch((e: unknown) => {
      // Docker's wording: a private repository looks the same as a missing one.
      if (isNotFound(e) || isUnauthenticated(e) || isPermissionDenied(e)) {
        throw new BerthError((e as BerthError).kind, `pull access denied for ${src.registry}/${repo}, repository does not exist or may require 'berth login ${src.registry}' (${(e as Error).message})`);
      }
      throw e;
    });
    const topDigest = m.digest;
    if (m.mediaType === MANIFEST_TYPES.ociIndex || m.mediaType === MANIFEST_TYPES.dockerList) {
      const child = pickPlatform(JSON.parse(m.bytes.toString("utf8")) as Index);
      m = await client.getManifest(repo, child.digest);
    }
    if (m.mediaType !== MANIFEST_TYPES.ociManifest && m.mediaType !== MANIFEST_TYPES.dockerManifest) {
      throw new InvalidArgument(`${src.registry}/${repo}: unsupported manifest type "${m.mediaType}"`);
    }
    const manifest = JSON.parse(m.bytes.toString("utf8")) as Manifest;
    if (!manifest.config?.digest || !Array.isArray(manifest.layers)) throw new InvalidArgument(`${src.registry}/${repo}: the manifest has no config or layers`);
    const feature = manifest.config.mediaType === FEATURE_TYPES.config && manifest.layers.length > 0 && manifest.layers.every((l) => l.mediaType === FEATURE_TYPES.layer);
    for (const l of manifest.layers) {
      if (!feature && !LAYER_TYPES.has(l.mediaType as never)) throw new InvalidArgument(`${src.registry}/${repo}: unsupported layer type "${l.mediaType}"`);
    }

    return await storeLock.shared(async () => {
      // The config: small, read whole, verified.
      const configBytes = feature
        ? featureConfig(manifest.layers)
        : (await d.blobs.has(manifest.config.digest))
        ? await d.blobs.read(manifest.config.digest)
        : await client.retry(`config ${manifest.config.digest}`, async () => {
            const chunks: Buffer[] = [];
            for await (const c of await client.getBlob(repo, manifest.config.digest)) chunks.push(c as Buffer);
            return Buffer.concat(chunks);
          });
      const got = sha256(configBytes);
      if (!feature && got !== manifest.config.digest) throw new InvalidArgument(`${src.registry}/${repo}: config digest mismatch: expected ${manifest.config.digest}, got ${got}`);
      const config = JSON.parse(configBytes.toString("utf8")) as ImageConfig;
      const diffIds = config.rootfs?.diff_ids;
      if (!Array.isArray(diffIds) || diffIds.length !== manifest.layers.length) {
        throw new InvalidArgument(`${src.registry}/${repo}: the config lists ${diffIds?.length ?? 0} layers, the manifest ${manifest.layers.length}`);
      }

      let known: Promise<Record<string, string>> | undefined;
      const knownDiffIds = () => (known ??= localLayers(d));
      const pending: PendingLayer[] = [];
      /** Each fetched layer's entries, checked as a whole image once all arrived (they stream in parallel). */
      const seen: (LayerEntries | undefined)[] = [];
      try {
        for (const l of manifest.layers) progress({ id: shortDigest(l.digest), status: "Pulling fs layer" });
        const layers = await mapLimit(manifest.layers, PARALLEL_TRANSFERS, async (l, i): Promise<Descriptor> => {
          const id = shortDigest(l.digest);
          if (await d.blobs.has(l.digest)) {
            const known = (await knownDiffIds())[l.digest];
            if (known === diffIds[i]) {
              progress({ id, status: "Already exists" });
              return { mediaType: /gzip/.test(l.mediaType) ? MediaType.layerGzip : MediaType.layerTar, digest: l.digest, size: l.size };
            }
            // In the store but no local image vouches for it (e.g. pushed to this host's
            // registry by someone): check it as if downloaded, from the local copy.
            const p = await ingestLayer(d.blobs.open(l.digest), d.blobs, { expectedDigest: l.digest, expectedDiffId: diffIds[i]!, checker: (seen[i] = new LayerEntries()), label: `layer ${i + 1} (${l.digest})` });
            pending.push(p);
            progress({ id, status: "Already exists" });
            return p.descriptor;
          }
          const p = await client.retry(`layer ${l.digest}`, async () =>
            ingestLayer(pipeline(await client.getBlob(repo, l.digest), byteProgress((n) => progress({ id, status: `Downloading ${humanBytes(n)}/${humanBytes(l.size)}` })), () => undefined), d.blobs, {
              expectedDigest: l.digest,
              expectedDiffId: diffIds[i]!,
              checker: (seen[i] = new LayerEntries()),
              label: `layer ${i + 1} (${l.digest})`,
            }).catch((e: unknown) => {
              // A dropped connection mid-body surfaces as a stream error: retry it.
              const code = (e as { code?: string }).code;
              if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || /terminated|socket|aborted/i.test((e as Error).message ?? "")) {
                throw new TransientError((e as Error).message);
              }
              throw e;
            }),
          );
          pending.push(p);
          progress({ id, status: "Verifying Checksum" });
          progress({ id, status: "Pull complete" });
          return p.descriptor;
        });
        checkImage(seen, (i) => `layer ${i + 1} (${manifest.layers[i]!.digest})`);
        // Everything verified: blobs first, then rows and the tag.
        for (const p of pending) await p.commit();
        pending.length = 0;
        const verbatim = !feature && m.mediaType === MANIFEST_TYPES.ociManifest && layers.every((l, i) => l.digest === manifest.layers[i]!.digest);
        const { id } = await writeImage(d.db, d.blobs, { config: configBytes, layers, tags: localRef ? [localRef] : [], teamId: d.teamId, siteAdmin: d.siteAdmin, ...(verbatim ? { manifest: m.bytes } : {}) });
        progress({ id: "", status: `Digest: ${topDigest}` });
        progress({ id: "", status: `Status: Downloaded newer image for ${localRef ?? `${src.registry}/${repo}@${topDigest}`}` });
        return { id, digest: topDigest };
      } finally {
        await Promise.all(pending.map((p) => p.abort()));
      }
    });
  } catch (e) {
    if (e instanceof TransientError) throw new Unavailable(`pull from ${src.registry} failed after retries: ${e.message}`);
    throw e;
  }
}

/** layer digest → diff_id, for the layers of the images this host has (verified when stored). */
async function localLayers(d: PullDeps): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const row of await d.db.image.findMany({ select: { manifestDigest: true } })) {
    try {
      const m = JSON.parse((await d.blobs.read(row.manifestDigest)).toString("utf8")) as Manifest;
      const c = JSON.parse((await d.blobs.read(m.config.digest)).toString("utf8")) as ImageConfig;
      for (const [i, id] of c.rootfs.diff_ids.entries()) {
        const l = m.layers[i];
        if (!l) continue;
        out[l.digest] = id;
        // The gzip copy a push made of a plain layer holds the same diff.
        const [copy] = await compressedCopies(d.blobs, [l.digest]);
        if (copy) out[copy] = id;
      }
    } catch {
      /* an image with missing blobs */
    }
  }
  return out;
}
