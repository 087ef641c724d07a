import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { chainIds, digestHex, MediaType, parseImageRef, type ImageConfig, type ImageManifest } from "@berth/core";
import type { BlobReader } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { peek, sniffCompression } from "./ingest-layer.js";
import { loadImage } from "./store.js";
import { TarFileWriter } from "./tar-writer.js";

export type SaveFormat = "docker" | "oci";

export interface SaveRequest {
  id: string;
  /** Refs to record for the image ("busybox:latest"); none for an image saved by id. */
  tags: string[];
}

interface Resolved {
  id: string;
  tags: string[];
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  configBytes: Buffer;
}

/** The whole archive is written next to `out` and renamed into place when complete. */
export async function saveImages(db: PrismaClient, blobs: BlobReader, requests: SaveRequest[], format: SaveFormat, out: string): Promise<number> {
  const images: Resolved[] = [];
  for (const r of requests) {
    const img = await loadImage(db, blobs, r.id);
    const row = await db.image.findUniqueOrThrow({ where: { id: r.id }, select: { manifestDigest: true } });
    const existing = images.find((i) => i.id === img.id);
    if (existing) existing.tags.push(...r.tags.filter((t) => !existing.tags.includes(t)));
    else images.push({ ...img, tags: [...r.tags], manifestDigest: row.manifestDigest, configBytes: await blobs.read(img.manifest.config.digest) });
  }
  const tmp = `${out}.tmp-${randomUUID()}`;
  const w = await TarFileWriter.create(tmp);
  try {
    if (format === "docker") await writeDockerArchive(w, blobs, images);
    else await writeOciLayout(w, blobs, images);
    const size = await w.finish();
    await fs.rename(tmp, out);
    return size;
  } catch (e) {
    await w.abort();
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

const MTIME = new Date(0);

/** A layer blob as a plain tar stream (docker-archive stores layers uncompressed, as `docker save` does). */
async function plainLayer(blobs: BlobReader, digest: string): Promise<Readable> {
  const { head, stream } = await peek(blobs.open(digest), 4);
  // (blobs.open reads 64 KiB at a time; the tar writer batches its writes)
  const c = sniffCompression(head);
  if (c === "none") return stream;
  if (c === "gzip") return stream.pipe(createGunzip({ chunkSize: 1 << 20 }));
  throw new Error(`layer ${digest} is ${c}-compressed, which this version cannot convert`);
}

/**
 * docker-archive as `docker save` of Docker 20.10 writes it: a directory per layer
 * (VERSION, json, layer.tar), the config as <id>.json, manifest.json and repositories.
 * A layer directory is named by the layer's chain id, so images sharing layers share them.
 */
async function writeDockerArchive(w: TarFileWriter, blobs: BlobReader, images: Resolved[]): Promise<void> {
  const written = new Set<string>();
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const img of images) {
    const chains = chainIds(img.config.rootfs.diff_ids);
    const layerPaths: string[] = [];
    for (const [i, layer] of img.manifest.layers.entries()) {
      const id = digestHex(chains[i]!);
      layerPaths.push(`${id}/layer.tar`);
      if (written.has(id)) continue;
      written.add(id);
      await w.addDirectory(id, { mtime: MTIME });
      await w.addBuffer(`${id}/VERSION`, "1.0", { mtime: MTIME });
      const v1: Record<string, unknown> = { id, ...(i > 0 ? { parent: digestHex(chains[i - 1]!) } : {}), created: img.config.created ?? MTIME.toISOString(), os: img.config.os };
      await w.addBuffer(`${id}/json`, JSON.stringify(v1), { mtime: MTIME });
      await w.addStream(`${id}/layer.tar`, await plainLayer(blobs, layer.digest), { mtime: MTIME });
    }
    const configName = `${digestHex(img.id)}.json`;
    if (!written.has(configName)) {
      written.add(configName);
      await w.addBuffer(configName, img.configBytes, { mtime: MTIME });
    }
    manifest.push({ Config: configName, RepoTags: img.tags.length ? img.tags : null, Layers: layerPaths });
    const top = layerPaths.length ? layerPaths[layerPaths.length - 1]!.split("/")[0]! : "";
    for (const t of img.tags) {
      const r = parseImageRef(t);
      (repositories[r.name] ??= {})[r.tag] = top;
    }
  }
  await w.addBuffer("manifest.json", JSON.stringify(manifest), { mtime: MTIME });
  await w.addBuffer("repositories", JSON.stringify(repositories), { mtime: MTIME });
}

/**
 * An OCI image layout (index.json, oci-layout, blobs/sha256/…) with the blobs as stored, plus
 * the manifest.json Docker ≥ 25 also writes, so Docker 20.10's `docker load` reads it too.
 */
async function writeOciLayout(w: TarFileWriter, blobs: BlobReader, images: Resolved[]): Promise<void> {
  const written = new Set<string>();
  await w.addDirectory("blobs", { mtime: MTIME });
  await w.addDirectory("blobs/sha256", { mtime: MTIME });
  const blob = async (digest: string) => {
    if (written.has(digest)) return;
    written.add(digest);
    const size = await blobs.size(digest);
    await w.addStream(`blobs/sha256/${digestHex(digest)}`, blobs.open(digest), { mtime: MTIME, expectedSize: size });
  };
  const index: { schemaVersion: 2; mediaType: string; manifests: Record<string, unknown>[] } = { schemaVersion: 2, mediaType: MediaType.index, manifests: [] };
  const dockerManifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  for (const img of images) {
    for (const l of img.manifest.layers) await blob(l.digest);
    await blob(img.manifest.config.digest);
    await blob(img.manifestDigest);
    const desc = {
      mediaType: img.manifest.mediaType ?? MediaType.manifest,
      digest: img.manifestDigest,
      size: await blobs.size(img.manifestDigest),
      platform: { architecture: img.config.architecture, os: img.config.os },
    };
    if (img.tags.length === 0) index.manifests.push(desc);
    for (const t of img.tags) {
      const r = parseImageRef(t);
      const full = `docker.io/${r.name.includes("/") ? "" : "library/"}${r.name}:${r.tag}`;
      index.manifests.push({ ...desc, annotations: { "io.containerd.image.name": full, "org.opencontainers.image.ref.name": t } });
    }
    dockerManifest.push({
      Config: `blobs/sha256/${digestHex(img.manifest.config.digest)}`,
      RepoTags: img.tags.length ? img.tags : null,
      Layers: img.manifest.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
    });
  }
  await w.addBuffer("index.json", JSON.stringify(index), { mtime: MTIME });
  await w.addBuffer("manifest.json", JSON.stringify(dockerManifest), { mtime: MTIME });
  await w.addBuffer("oci-layout", JSON.stringify({ imageLayoutVersion: "1.0.0" }), { mtime: MTIME });
}
