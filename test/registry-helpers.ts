/** A tiny distribution-spec client for the registry tests: tokens, blobs, manifests, images in memory. */
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

export const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
export const sha512 = (b: Buffer | string) => `sha512:${createHash("sha512").update(b).digest("hex")}`;

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
export const DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

export interface Creds {
  user: string;
  pass: string;
}

export const basic = (c: Creds) => `Basic ${Buffer.from(`${c.user}:${c.pass}`).toString("base64")}`;

/** A registry token for the scopes (anonymous without creds). */
export async function token(url: string, scopes: string[], creds?: Creds): Promise<{ token: string; status: number; access: { type: string; name: string; actions: string[] }[] }> {
  const q = new URLSearchParams({ service: "berth" });
  for (const s of scopes) q.append("scope", s);
  const res = await fetch(`${url}/v2/token?${q.toString()}`, { headers: creds ? { authorization: basic(creds) } : {} });
  const body = (await res.json()) as { token?: string };
  const t = body.token ?? "";
  // The grants, from the token's `scope` claim ("<type>:<name>:<actions>", space-separated).
  const scope = t ? (JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()) as { scope: string }).scope : "";
  const access = scope
    .split(" ")
    .filter(Boolean)
    .map((s) => ({ type: s.slice(0, s.indexOf(":")), name: s.slice(s.indexOf(":") + 1, s.lastIndexOf(":")), actions: s.slice(s.lastIndexOf(":") + 1).split(",") }));
  return { token: t, status: res.status, access };
}

export interface Res {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = unknown>(): T;
  /** The first error code of a spec error body. */
  code: string | undefined;
}

export async function req(url: string, method: string, p: string, opts: { token?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : new Uint8Array(opts.body);
  const res = await fetch(`${url}${p}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const data = Buffer.from(await res.arrayBuffer());
  let code: string | undefined;
  try {
    code = (JSON.parse(data.toString()) as { errors?: { code: string }[] }).errors?.[0]?.code;
  } catch {
    code = undefined;
  }
  return { status: res.status, headers: res.headers, body: data, json: <T>() => JSON.parse(data.toString()) as T, code };
}

/** Monolithic upload: POST ?digest= with the bytes. */
export async function pushBlob(url: string, tok: string, name: string, data: Buffer, algorithm: "sha256" | "sha512" = "sha256"): Promise<string> {
  const digest = algorithm === "sha512" ? sha512(data) : sha256(data);
  const r = await req(url, "POST", `/v2/${name}/blobs/uploads/?digest=${digest}`, { token: tok, body: data, headers: { "content-type": "application/octet-stream" } });
  if (r.status !== 201) throw new Error(`push blob to ${name}: ${r.status} ${r.body.toString()}`);
  return digest;
}

export async function putManifest(url: string, tok: string, name: string, ref: string, manifest: object | Buffer, mediaType = OCI_MANIFEST): Promise<Res> {
  const body = Buffer.isBuffer(manifest) ? manifest : Buffer.from(JSON.stringify(manifest));
  return req(url, "PUT", `/v2/${name}/manifests/${ref}`, { token: tok, body, headers: { "content-type": mediaType } });
}

export interface TestImage {
  config: Buffer;
  layer: Buffer;
  manifest: Buffer;
  digest: string;
}

/** A small random image (one gzip layer) as OCI or Docker schema2. */
export function makeImage(kind: "oci" | "docker" = "oci", label = randomBytes(4).toString("hex")): TestImage {
  const layer = gzipSync(Buffer.concat([Buffer.from(`layer ${label}\n`), randomBytes(64)]));
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: { t: label } }, rootfs: { type: "layers", diff_ids: [sha256(randomBytes(8))] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: kind === "oci" ? OCI_MANIFEST : DOCKER_MANIFEST,
      config: { mediaType: kind === "oci" ? OCI_CONFIG : DOCKER_CONFIG, digest: sha256(config), size: config.length },
      layers: [{ mediaType: kind === "oci" ? OCI_LAYER : DOCKER_LAYER, digest: sha256(layer), size: layer.length }],
    }),
  );
  return { config, layer, manifest, digest: sha256(manifest) };
}

/** Pushes an image's blobs and manifest under `tag`. */
export async function pushImage(url: string, tok: string, name: string, tag: string, img: TestImage = makeImage()): Promise<TestImage> {
  await pushBlob(url, tok, name, img.config);
  await pushBlob(url, tok, name, img.layer);
  const type = (JSON.parse(img.manifest.toString()) as { mediaType: string }).mediaType;
  const r = await putManifest(url, tok, name, tag, img.manifest, type);
  if (r.status !== 201) throw new Error(`push manifest ${name}:${tag}: ${r.status} ${r.body.toString()}`);
  return img;
}

/**
 * An OCI image layout on disk (what `skopeo copy oci:DIR:TAG` reads): a real gzip tar layer
 * made with tar(1), its config with the right diff_id, the manifest and index.json.
 */
export function writeOciLayout(dir: string, tag: string, files: Record<string, string>): { manifestDigest: string; layerDigest: string; configDigest: string; diffId: string } {
  const root = path.join(dir, "rootfs");
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), content);
  }
  const tar = execFileSync("tar", ["-C", root, "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf", "-", "."]);
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: [sha256(tar)] }, history: [{ created_by: "test" }] }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER, digest: sha256(layer), size: layer.length }],
    }),
  );
  const layout = path.join(dir, "layout");
  fs.mkdirSync(path.join(layout, "blobs", "sha256"), { recursive: true });
  for (const b of [layer, config, manifest]) fs.writeFileSync(path.join(layout, "blobs", "sha256", sha256(b).slice(7)), b);
  fs.writeFileSync(path.join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  fs.writeFileSync(
    path.join(layout, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256(manifest), size: manifest.length, annotations: { "org.opencontainers.image.ref.name": tag } }] }),
  );
  return { manifestDigest: sha256(manifest), layerDigest: sha256(layer), configDigest: sha256(config), diffId: sha256(tar) };
}
