/**
 * A client for one distribution-spec registry: blobs (HEAD/GET, monolithic and chunked
 * upload, cross-repository mount) and manifests (GET with content negotiation, PUT), with
 * the auth handshake (auth.ts) and retries with exponential backoff on 5xx, 429 and dropped
 * connections. Loopback registries (localhost, 127.0.0.0/8, ::1) speak plain HTTP, as
 * Docker treats them as insecure by default; every other host is HTTPS.
 */
import { Readable } from "node:stream";
import { BerthError, InvalidArgument, NotFound, PermissionDenied, Unauthenticated, Unavailable } from "@berth/core";
import { Authenticator, type Credentials } from "./auth.js";

export const MANIFEST_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;
const ACCEPT = Object.values(MANIFEST_TYPES).join(", ");

export interface ClientOptions {
  /** "host[:port]"; "docker.io" means Docker Hub. */
  registry: string;
  creds?: Credentials;
  fetchImpl?: typeof fetch;
  /** Attempts per request for transient failures (default 5). */
  attempts?: number;
  /** First backoff delay; doubles each retry (default 250 ms). */
  backoffMs?: number;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The base URL of a registry host (Docker Hub's API host for docker.io). */
export function registryBase(registry: string): string {
  if (registry === "docker.io" || registry === "index.docker.io") return "https://registry-1.docker.io";
  return `${isLoopback(registry) ? "http" : "https"}://${registry}`;
}

/** A failure worth retrying: 5xx, 429, or the connection went away. */
export class TransientError extends Error {}

interface RequestOptions {
  scopes: string[];
  headers?: Record<string, string>;
  /** A fresh body for each attempt (streams cannot be replayed). */
  body?: () => { body: BodyInit | Readable; length?: number };
  /** Retry transient failures here (default true); false when the caller retries a larger unit. */
  retry?: boolean;
  /** Statuses the caller handles itself (returned, not thrown). */
  expect: number[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn`, retrying TransientErrors with exponential backoff. */
export async function withRetries<T>(fn: () => Promise<T>, attempts = 5, backoffMs = 250, onRetry?: (e: Error, n: number) => void): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof TransientError) || n >= attempts) throw e;
      onRetry?.(e, n);
      await sleep(backoffMs * 2 ** (n - 1));
    }
  }
}

async function registryErrorText(res: Response): Promise<string> {
  try {
    const text = await res.text();
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) return `${e.code ?? "ERROR"}: ${e.message ?? ""}`.trim();
    return text.slice(0, 200);
  } catch {
    return "";
  }
}

export class RegistryClient {
  readonly base: string;
  readonly auth: Authenticator;
  private readonly fetchImpl: typeof fetch;
  private readonly attempts: number;
  private readonly backoffMs: number;
  /** Called before each retry (for the job's log / progress). */
  onRetry?: (what: string, e: Error, attempt: number) => void;

  constructor(readonly o: ClientOptions) {
    this.base = registryBase(o.registry);
    this.fetchImpl = o.fetchImpl ?? fetch;
    this.auth = new Authenticator(o.creds, this.fetchImpl);
    this.attempts = o.attempts ?? 5;
    this.backoffMs = o.backoffMs ?? 250;
  }

  retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetries(fn, this.attempts, this.backoffMs, (e, n) => this.onRetry?.(what, e, n));
  }

  /** One request, with the auth handshake; transient failures retried unless `retry: false`. */
  async request(method: string, pathOrUrl: string, o: RequestOptions): Promise<Response> {
    const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const once = async (): Promise<Response> => {
      for (let authTry = 0; ; authTry++) {
        const auth = await this.auth.header(o.scopes).catch((e: Error & { status?: number }) => {
          if (e.status === 401 || e.status === 403) throw new Unauthenticated(`${this.o.registry}: ${e.message}`);
          if (e.status && e.status >= 500) throw new TransientError(e.message);
          if (e instanceof TypeError) throw new TransientError(`${this.o.registry}: ${e.message}`);
          throw e;
        });
        const b = o.body?.();
        const headers: Record<string, string> = { ...o.headers };
        if (auth) headers.authorization = auth;
        if (b?.length !== undefined) headers["content-length"] = String(b.length);
        let res: Response;
        try {
          const body = b ? (b.body instanceof Readable ? (Readable.toWeb(b.body) as unknown as BodyInit) : b.body) : undefined;
          res = await this.fetchImpl(url, { method, headers, ...(body !== undefined ? { body, duplex: "half" } : {}), redirect: "follow" } as RequestInit);
        } catch (e) {
          throw new TransientError(`${method} ${url}: ${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ""}`);
        }
        if (res.status === 401 && authTry === 0 && this.auth.learn(res.headers.get("www-authenticate"), o.scopes, auth)) {
          await res.body?.cancel();
          continue;
        }
        if (o.expect.includes(res.status)) return res;
        const detail = await registryErrorText(res);
        const msg = `${method} ${new URL(url).pathname}: HTTP ${res.status}${detail ? ` (${detail})` : ""}`;
        if (res.status >= 500 || res.status === 429) throw new TransientError(msg);
        if (res.status === 401) throw new Unauthenticated(`${this.o.registry}: authentication required: ${msg}`);
        if (res.status === 403) throw new PermissionDenied(`${this.o.registry}: access denied: ${msg}`);
        if (res.status === 404) throw new NotFound(`${this.o.registry}: ${msg}`);
        throw new InvalidArgument(`${this.o.registry}: ${msg}`);
      }
    };
    return o.retry === false ? once() : this.retry(`${method} ${url}`, once);
  }

  /** GET /v2/ with the client's credentials (no scope, as `docker login`): resolves if the registry accepts them. */
  async ping(): Promise<void> {
    const res = await this.request("GET", "/v2/", { scopes: [], expect: [200] });
    await res.body?.cancel();
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.request("HEAD", `/v2/${repo}/blobs/${digest}`, { scopes: [`repository:${repo}:pull,push`], expect: [200, 404] });
    await res.body?.cancel();
    return res.status === 200;
  }

  /** GET a blob's bytes as a stream (redirects followed). Not retried: the caller retries the whole download. */
  async getBlob(repo: string, digest: string): Promise<Readable> {
    const res = await this.request("GET", `/v2/${repo}/blobs/${digest}`, { scopes: [`repository:${repo}:pull`], expect: [200], retry: false });
    if (!res.body) throw new TransientError(`GET blob ${digest}: empty response`);
    return Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
  }

  private location(res: Response): string {
    const loc = res.headers.get("location");
    if (!loc) throw new InvalidArgument(`${this.o.registry}: an upload answer without Location`);
    return new URL(loc, this.base).toString();
  }

  /**
   * Asks the registry to mount a blob from another repository. True when mounted; otherwise
   * the upload session the registry opened instead (its URL).
   */
  async mountBlob(repo: string, digest: string, from: string): Promise<true | string> {
    const q = new URLSearchParams({ mount: digest, from });
    const res = await this.request("POST", `/v2/${repo}/blobs/uploads/?${q}`, {
      scopes: [`repository:${repo}:pull,push`, `repository:${from}:pull`],
      expect: [201, 202],
    });
    await res.body?.cancel();
    return res.status === 201 ? true : this.location(res);
  }

  async startUpload(repo: string): Promise<string> {
    const res = await this.request("POST", `/v2/${repo}/blobs/uploads/`, { scopes: [`repository:${repo}:pull,push`], expect: [202] });
    await res.body?.cancel();
    return this.location(res);
  }

  /**
   * Uploads a blob: one PUT when it fits in `chunkSize`, else PATCHes of `chunkSize` bytes with
   * Content-Range, then a PUT with the digest. `open(start, end)` gives the bytes [start, end).
   * One attempt: the caller retries the whole upload on a TransientError.
   */
  async uploadBlob(repo: string, digest: string, size: number, open: (start: number, end: number) => Readable, o: { chunkSize?: number; location?: string } = {}): Promise<void> {
    const scopes = [`repository:${repo}:pull,push`];
    let loc = o.location ?? (await this.startUpload(repo));
    const chunk = o.chunkSize ?? 64 << 20;
    const withDigest = (l: string) => {
      const u = new URL(l);
      u.searchParams.set("digest", digest);
      return u.toString();
    };
    if (size <= chunk) {
      const res = await this.request("PUT", withDigest(loc), {
        scopes,
        headers: { "content-type": "application/octet-stream" },
        body: () => ({ body: open(0, size), length: size }),
        expect: [201],
        retry: false,
      });
      await res.body?.cancel();
      return;
    }
    for (let start = 0; start < size; start += chunk) {
      const end = Math.min(size, start + chunk);
      const res = await this.request("PATCH", loc, {
        scopes,
        headers: { "content-type": "application/octet-stream", "content-range": `${start}-${end - 1}` },
        body: () => ({ body: open(start, end), length: end - start }),
        expect: [202],
        retry: false,
      });
      await res.body?.cancel();
      loc = this.location(res);
    }
    const res = await this.request("PUT", withDigest(loc), { scopes, body: () => ({ body: new Uint8Array(0), length: 0 }), expect: [201], retry: false });
    await res.body?.cancel();
  }

  /** GETs a manifest (any of the four media types); verifies it against the digest asked for, if any. */
  async getManifest(repo: string, reference: string): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
    const res = await this.request("GET", `/v2/${repo}/manifests/${reference}`, { scopes: [`repository:${repo}:pull`], headers: { accept: ACCEPT }, expect: [200] });
    const bytes = Buffer.from(await res.arrayBuffer());
    const { sha256 } = await import("@berth/core");
    const digest = sha256(bytes);
    if (reference.startsWith("sha256:") && digest !== reference) {
      throw new InvalidArgument(`${this.o.registry}/${repo}: manifest digest mismatch: asked for ${reference}, got ${digest}`);
    }
    const header = res.headers.get("docker-content-digest");
    if (header && header.startsWith("sha256:") && header !== digest) {
      throw new InvalidArgument(`${this.o.registry}/${repo}: manifest digest mismatch: the registry says ${header}, the bytes are ${digest}`);
    }
    let mediaType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
    try {
      const parsed = JSON.parse(bytes.toString("utf8")) as { mediaType?: string; manifests?: unknown };
      if (parsed.mediaType) mediaType = parsed.mediaType;
      else if (!Object.values(MANIFEST_TYPES).includes(mediaType as never)) mediaType = parsed.manifests ? MANIFEST_TYPES.ociIndex : MANIFEST_TYPES.ociManifest;
    } catch {
      throw new InvalidArgument(`${this.o.registry}/${repo}: the manifest is not JSON`);
    }
    return { bytes, mediaType, digest };
  }

  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request("PUT", `/v2/${repo}/manifests/${reference}`, {
      scopes: [`repository:${repo}:pull,push`],
      headers: { "content-type": mediaType },
      body: () => ({ body: new Uint8Array(bytes), length: bytes.length }),
      expect: [201],
    });
    await res.body?.cancel();
    return res.headers.get("docker-content-digest") ?? "";
  }
}

/** True for errors a user should see as such (kinds), not as internal failures. */
export const isKindError = (e: unknown): e is BerthError => e instanceof BerthError;
export { Unavailable };
