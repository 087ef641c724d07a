/** Parsing and checking pushed manifests: OCI image manifests and indexes, Docker schema2 manifests and lists. */
import { RegistryError } from "./errors.js";
import { DIGEST_RE } from "./names.js";

export const ManifestType = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;

export const MANIFEST_TYPES: readonly string[] = Object.values(ManifestType);
const INDEX_TYPES = new Set<string>([ManifestType.ociIndex, ManifestType.dockerList]);
const SCHEMA1 = new Set(["application/vnd.docker.distribution.manifest.v1+json", "application/vnd.docker.distribution.manifest.v1+prettyjws"]);

/** Layers a registry need not hold (Windows base layers and the like): fetched from their `urls`. */
const FOREIGN_LAYERS = new Set([
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
]);

export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ParsedManifest {
  mediaType: string;
  isIndex: boolean;
  /** Blobs that must be in the repository (config and distributable layers). */
  blobs: string[];
  /** Manifests that must be in the repository (an index's children). */
  manifests: string[];
  subject?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

const invalid = (message: string, detail?: unknown) => new RegistryError("MANIFEST_INVALID", `manifest invalid: ${message}`, detail === undefined ? {} : { detail });

function descriptor(v: unknown, where: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (!d || typeof d !== "object") throw invalid(`${where} is not a descriptor`);
  if (typeof d.mediaType !== "string" || !d.mediaType) throw invalid(`${where}.mediaType is missing`);
  if (typeof d.digest !== "string" || !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(d.digest)) throw invalid(`${where}.digest is not a digest`);
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`${where}.size is not a size`);
  if (d.annotations !== undefined && (typeof d.annotations !== "object" || d.annotations === null)) throw invalid(`${where}.annotations is not a map`);
  return d as Descriptor;
}

/** The media type without parameters, lowercased. */
export const bareType = (contentType: string | undefined) => (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();

/**
 * Checks a manifest's structure and lists what it references. The media type comes from the
 * body's `mediaType` or, when that is absent (allowed for OCI), from Content-Type; the two must agree.
 */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  } catch {
    throw invalid("not JSON");
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) throw invalid("not a JSON object");
  const declared = typeof json.mediaType === "string" ? json.mediaType : undefined;
  const header = bareType(contentType);
  const headerType = MANIFEST_TYPES.includes(header) || SCHEMA1.has(header) ? header : undefined;
  if (declared && headerType && declared !== headerType) throw invalid(`Content-Type ${headerType} but mediaType ${declared}`);
  const mediaType = declared ?? headerType;
  if (!mediaType) throw invalid("no mediaType in the body and no manifest Content-Type");
  if (SCHEMA1.has(mediaType) || json.schemaVersion === 1) throw invalid("Docker schema1 manifests are not supported: push schema2 or OCI");
  if (!MANIFEST_TYPES.includes(mediaType)) throw invalid(`unsupported manifest media type ${mediaType}`);
  if (json.schemaVersion !== 2) throw invalid("schemaVersion must be 2");

  const out: ParsedManifest = { mediaType, isIndex: INDEX_TYPES.has(mediaType), blobs: [], manifests: [] };
  if (json.subject !== undefined) out.subject = descriptor(json.subject, "subject").digest;
  if (typeof json.artifactType === "string") out.artifactType = json.artifactType;
  if (json.annotations && typeof json.annotations === "object") out.annotations = json.annotations as Record<string, string>;

  if (out.isIndex) {
    if (!Array.isArray(json.manifests)) throw invalid("manifests must be an array");
    json.manifests.forEach((m, i) => out.manifests.push(descriptor(m, `manifests[${i}]`).digest));
  } else {
    const config = descriptor(json.config, "config");
    out.blobs.push(config.digest);
    if (!Array.isArray(json.layers)) throw invalid("layers must be an array");
    json.layers.forEach((l, i) => {
      const d = descriptor(l, `layers[${i}]`);
      if (FOREIGN_LAYERS.has(d.mediaType) && d.urls?.length) return;
      out.blobs.push(d.digest);
    });
    // The artifact type of an image manifest without one is its config's media type (OCI 1.1).
    out.artifactType ??= config.mediaType;
  }
  // Digests this registry cannot store cannot be present.
  for (const d of [...out.blobs, ...out.manifests]) if (!DIGEST_RE.test(d)) throw new RegistryError("MANIFEST_BLOB_UNKNOWN", `blob unknown to registry: ${d}`, { detail: { digest: d } });
  out.blobs = [...new Set(out.blobs)];
  out.manifests = [...new Set(out.manifests)];
  return out;
}

/**
 * Content negotiation: false when the request's Accept names manifest media types and none
 * matches the stored one (no Accept, or a wildcard, takes anything).
 */
export function accepts(accept: string | string[] | undefined, mediaType: string): boolean {
  const list = (Array.isArray(accept) ? accept.join(",") : accept ?? "")
    .split(",")
    .map((s) => bareType(s))
    .filter(Boolean);
  if (list.length === 0) return true;
  if (list.includes(mediaType) || list.includes("*/*") || list.includes("application/*")) return true;
  // A client that names no manifest type at all (curl's default, application/json) gets what is stored.
  return !list.some((t) => MANIFEST_TYPES.includes(t) || SCHEMA1.has(t));
}
