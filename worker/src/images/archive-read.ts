import { DIGEST_RE, InvalidArgument, MediaType, digestHex, parseImageRef } from "@berth/core";
import { goArch } from "./busybox.js";
import type { TarIndex } from "./tar-index.js";

/** One image found in a docker-archive or OCI-layout tar. */
export interface ArchiveImage {
  /** Archive member holding the config. */
  configMember: string;
  /** The config's digest when the archive states it (OCI); checked against its bytes. */
  configDigest?: string;
  layers: { member: string; digest?: string; mediaType?: string }[];
  /** Normalised refs ("busybox:latest", "team/app:1.2"). */
  tags: string[];
  /** An OCI manifest to keep byte for byte, with its digest. */
  manifest?: { member: string; digest: string };
}

export interface ArchiveContents {
  format: "docker" | "oci";
  images: ArchiveImage[];
  /** Refs the archive names that Berth cannot use (skipped, reported). */
  skippedTags: string[];
}

const DockerManifestV2 = "application/vnd.docker.distribution.manifest.v2+json";
const DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
const MANIFEST_TYPES = new Set<string>([MediaType.manifest, DockerManifestV2]);
const INDEX_TYPES = new Set<string>([MediaType.index, DockerManifestList]);

/**
 * "docker.io/library/busybox:latest" → "busybox:latest"; undefined for what Berth cannot name
 * (a bare tag, a digest-only ref, another registry's host).
 */
export function normalizeRef(raw: string): string | undefined {
  let s = raw.trim();
  for (const p of ["docker.io/", "index.docker.io/", "registry-1.docker.io/"]) if (s.startsWith(p)) s = s.slice(p.length);
  const colon = s.lastIndexOf(":");
  if (colon <= s.lastIndexOf("/") || s.includes("@")) return undefined; // no tag, or pinned by digest
  try {
    const r = parseImageRef(s);
    return `${r.name}:${r.tag}`;
  } catch {
    return undefined;
  }
}

interface DockerManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

interface OciDescriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string };
}

/** What the archive holds: an OCI layout when it has index.json, else a docker-archive (manifest.json). */
export async function readArchive(idx: TarIndex): Promise<ArchiveContents> {
  if (idx.has("index.json")) return readOciLayout(idx);
  if (idx.has("manifest.json")) return readDockerArchive(idx);
  throw new InvalidArgument("not an image archive: it has neither manifest.json (docker save) nor index.json (OCI layout)");
}

async function readDockerArchive(idx: TarIndex): Promise<ArchiveContents> {
  const entries = await idx.readJson<DockerManifestEntry[]>("manifest.json");
  if (!Array.isArray(entries) || entries.length === 0) throw new InvalidArgument("manifest.json lists no image");
  const skipped: string[] = [];
  const images = entries.map((e, i): ArchiveImage => {
    if (typeof e.Config !== "string" || !Array.isArray(e.Layers) || !e.Layers.every((l) => typeof l === "string")) {
      throw new InvalidArgument(`manifest.json entry ${i} needs "Config" (a file name) and "Layers" (file names)`);
    }
    const tags: string[] = [];
    for (const t of Array.isArray(e.RepoTags) ? e.RepoTags : []) {
      const n = typeof t === "string" ? normalizeRef(t) : undefined;
      if (n) tags.push(n);
      else skipped.push(String(t));
    }
    return { configMember: e.Config, layers: (e.Layers as string[]).map((member) => ({ member })), tags };
  });
  return { format: "docker", images, skippedTags: skipped };
}

const blobMember = (digest: string | undefined, what: string): string => {
  if (!digest || !DIGEST_RE.test(digest)) throw new InvalidArgument(`${what}: unsupported or invalid digest "${digest}" (want sha256:<64 hex>)`);
  return `blobs/sha256/${digestHex(digest)}`;
};

async function readOciLayout(idx: TarIndex): Promise<ArchiveContents> {
  const index = await idx.readJson<{ manifests?: OciDescriptor[] }>("index.json");
  if (!Array.isArray(index.manifests) || index.manifests.length === 0) throw new InvalidArgument("index.json lists no manifest");
  const byManifest = new Map<string, ArchiveImage>();
  const skipped: string[] = [];
  for (const [i, desc] of index.manifests.entries()) {
    const manifestDesc = await pickManifest(idx, desc, `index.json manifest ${i}`);
    let img = byManifest.get(manifestDesc.digest!);
    if (!img) {
      const member = blobMember(manifestDesc.digest, `manifest ${i}`);
      const m = await idx.readJson<{ mediaType?: string; config?: OciDescriptor; layers?: OciDescriptor[] }>(member);
      if (!m.config || !Array.isArray(m.layers)) throw new InvalidArgument(`manifest ${manifestDesc.digest} has no config or layers`);
      img = {
        configMember: blobMember(m.config.digest, "image config"),
        configDigest: m.config.digest!,
        layers: m.layers.map((l, n) => ({ member: blobMember(l.digest, `layer ${n}`), digest: l.digest!, ...(l.mediaType ? { mediaType: l.mediaType } : {}) })),
        tags: [],
        ...((m.mediaType ?? manifestDesc.mediaType) === MediaType.manifest ? { manifest: { member, digest: manifestDesc.digest! } } : {}),
      };
      byManifest.set(manifestDesc.digest!, img);
    }
    const a = desc.annotations ?? {};
    // containerd and Docker write the full name here; skopeo and podman the ref in ref.name.
    const name = a["io.containerd.image.name"] ?? a["org.opencontainers.image.ref.name"];
    if (name) {
      const n = normalizeRef(name);
      if (n && !img.tags.includes(n)) img.tags.push(n);
      else if (!n && a["io.containerd.image.name"]) skipped.push(name);
    }
  }
  return { format: "oci", images: [...byManifest.values()], skippedTags: skipped };
}

/** An index entry may be a manifest, or an image index (multi-platform): then this host's platform. */
async function pickManifest(idx: TarIndex, desc: OciDescriptor, what: string, depth = 0): Promise<OciDescriptor> {
  const member = blobMember(desc.digest, what);
  let mediaType = desc.mediaType;
  if (!mediaType || (!MANIFEST_TYPES.has(mediaType) && !INDEX_TYPES.has(mediaType))) {
    mediaType = (await idx.readJson<{ mediaType?: string; manifests?: unknown }>(member)).mediaType;
  }
  if (mediaType && MANIFEST_TYPES.has(mediaType)) return desc;
  if (depth > 2) throw new InvalidArgument(`${what}: image indexes nested too deep`);
  const nested = await idx.readJson<{ mediaType?: string; manifests?: OciDescriptor[] }>(member);
  if (!Array.isArray(nested.manifests)) throw new InvalidArgument(`${what}: ${desc.digest} is neither a manifest nor an index`);
  const arch = goArch();
  const match =
    nested.manifests.find((m) => m.platform?.os === "linux" && m.platform.architecture === arch) ??
    (nested.manifests.length === 1 ? nested.manifests[0] : undefined);
  if (!match) throw new InvalidArgument(`${what}: no image for linux/${arch} in ${desc.digest}`);
  const picked = await pickManifest(idx, match, what, depth + 1);
  return { ...picked, annotations: desc.annotations ?? {} };
}
