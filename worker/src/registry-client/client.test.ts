import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isNotFound, isUnauthenticated } from "@berth/core";
import { parseChallenge } from "./auth.js";
import { isLoopback, RegistryClient, registryBase, withRetries, TransientError } from "./client.js";
import { pickPlatform } from "./pull.js";
import { resolveRemote } from "./remote.js";
import { mapLimit } from "./progress.js";

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A registry with Docker Hub's token flow: 401 + Bearer realm, a token endpoint taking Basic auth. */
let server: http.Server;
let host: string;
const blobs = new Map<string, Buffer>();
const uploads = new Map<string, Buffer[]>();
const seen: string[] = [];
const tokenScopes: string[][] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const u = new URL(req.url!, "http://x");
    seen.push(`${req.method} ${u.pathname}${u.search}`);
    if (u.pathname === "/token") {
      if (req.headers.authorization !== `Basic ${Buffer.from("alice:secret").toString("base64")}`) return void res.writeHead(401).end();
      tokenScopes.push(u.searchParams.getAll("scope"));
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ access_token: "tok", expires_in: 300 }));
    }
    if (req.headers.authorization !== "Bearer tok") {
      return void res
        .writeHead(401, { "www-authenticate": `Bearer realm="http://${host}/token",service="fake",scope="repository:a/b:pull"` })
        .end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "auth" }] }));
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      let m: RegExpExecArray | null;
      if ((m = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(u.pathname))) {
        const b = blobs.get(m[2]!);
        if (!b) return void res.writeHead(404).end(JSON.stringify({ errors: [{ code: "BLOB_UNKNOWN", message: "no" }] }));
        return void res.writeHead(200, { "content-length": b.length }).end(req.method === "HEAD" ? undefined : b);
      }
      if (u.pathname.endsWith("/blobs/uploads/") && req.method === "POST") {
        const mount = u.searchParams.get("mount");
        if (mount && blobs.has(mount) && u.searchParams.get("from") === "a/other") return void res.writeHead(201).end();
        const id = String(uploads.size + 1);
        uploads.set(id, []);
        return void res.writeHead(202, { location: `/v2/a/b/blobs/uploads/${id}` }).end();
      }
      if ((m = /\/blobs\/uploads\/(\d+)$/.exec(u.pathname))) {
        const parts = uploads.get(m[1]!)!;
        if (req.method === "PATCH") {
          parts.push(body);
          return void res.writeHead(202, { location: `/v2/a/b/blobs/uploads/${m[1]}` }).end();
        }
        parts.push(body);
        const all = Buffer.concat(parts);
        if (sha(all) !== u.searchParams.get("digest")) return void res.writeHead(400).end(JSON.stringify({ errors: [{ code: "DIGEST_INVALID", message: "bad" }] }));
        blobs.set(sha(all), all);
        return void res.writeHead(201).end();
      }
      res.writeHead(404).end(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: "no such repository" }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => void server.close());

describe("auth", () => {
  it("parses Bearer and Basic challenges", () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/busybox:pull" },
    });
    expect(parseChallenge('Basic realm="Registry"')).toEqual({ scheme: "basic", params: { realm: "Registry" } });
    expect(parseChallenge(null)).toBeUndefined();
  });

  it("gets a token from the realm with Basic credentials, once per scope set", async () => {
    const c = new RegistryClient({ registry: host, creds: { username: "alice", password: "secret" } });
    expect(await c.hasBlob("a/b", sha(Buffer.from("nope")))).toBe(false);
    expect(await c.hasBlob("a/b", sha(Buffer.from("nope2")))).toBe(false);
    expect(tokenScopes.filter((s) => s.includes("repository:a/b:pull,push"))).toHaveLength(1);
  });

  it("parallel requests refused together before any challenge was known all retry, sharing one token request", async () => {
    // Three transfers start at once (a push's layers): each is refused, none may give up.
    const c = new RegistryClient({ registry: host, creds: { username: "alice", password: "secret" } });
    const before = tokenScopes.length;
    const heads = await Promise.all([1, 2, 3, 4, 5].map((i) => c.hasBlob("a/par", sha(Buffer.from(`absent ${i}`)))));
    expect(heads).toEqual([false, false, false, false, false]);
    expect(tokenScopes.slice(before)).toEqual([["repository:a/par:pull,push"]]);
    // A token asked for by many at once, for a new scope set: still one request.
    const more = await Promise.all([1, 2, 3].map((i) => c.mountBlob("a/par", sha(Buffer.from(`m ${i}`)), "a/other")));
    expect(more.every((r) => typeof r === "string")).toBe(true);
    expect(tokenScopes.slice(before).filter((s) => s.includes("repository:a/other:pull"))).toHaveLength(1);
  });

  it("refuses wrong credentials with Unauthenticated", async () => {
    const c = new RegistryClient({ registry: host, creds: { username: "alice", password: "wrong" } });
    const e = await c.hasBlob("a/b", sha(Buffer.from("x"))).catch((x: unknown) => x);
    expect(isUnauthenticated(e)).toBe(true);
  });
});

describe("blobs and manifests", () => {
  const c = () => new RegistryClient({ registry: host, creds: { username: "alice", password: "secret" } });

  it("uploads monolithically and in chunks, and reads back", async () => {
    const small = Buffer.from("small blob");
    await c().uploadBlob("a/b", sha(small), small.length, (s, e) => Readable.from([small.subarray(s, e)]));
    const big = Buffer.alloc(100_000, 7);
    const before = seen.length;
    await c().uploadBlob("a/b", sha(big), big.length, (s, e) => Readable.from([big.subarray(s, e)]), { chunkSize: 30_000 });
    expect(seen.slice(before).filter((l) => l.startsWith("PATCH"))).toHaveLength(4);
    const got: Buffer[] = [];
    for await (const x of await c().getBlob("a/b", sha(big))) got.push(x as Buffer);
    expect(Buffer.concat(got).equals(big)).toBe(true);
  });

  it("mounts a blob from another repository", async () => {
    const b = Buffer.from("small blob");
    expect(await c().mountBlob("a/b", sha(b), "a/other")).toBe(true);
    expect(typeof (await c().mountBlob("a/b", sha(Buffer.from("missing")), "a/other"))).toBe("string");
    expect(tokenScopes.some((s) => s.includes("repository:a/other:pull"))).toBe(true);
  });

  it("maps a missing manifest to NotFound", async () => {
    const e = await c().getManifest("a/b", "1").catch((x: unknown) => x);
    expect(isNotFound(e)).toBe(true);
  });
});

describe("helpers", () => {
  it("treats loopback registries as plain HTTP and Docker Hub specially", () => {
    expect(isLoopback("127.0.0.1:5000")).toBe(true);
    expect(isLoopback("localhost")).toBe(true);
    expect(isLoopback("registry.example.com")).toBe(false);
    expect(registryBase("localhost:3000")).toBe("http://localhost:3000");
    expect(registryBase("registry.example.com")).toBe("https://registry.example.com");
    expect(registryBase("docker.io")).toBe("https://registry-1.docker.io");
  });

  it("resolves where a ref lives", () => {
    expect(resolveRemote("127.0.0.1:5000/alice/app:1")).toEqual({ registry: "127.0.0.1:5000", repository: "alice/app", reference: "1", localRef: "127.0.0.1:5000/alice/app:1" });
    expect(resolveRemote("busybox")).toMatchObject({ registry: "docker.io", repository: "library/busybox", reference: "latest" });
    const d = `sha256:${"a".repeat(64)}`;
    expect(resolveRemote(`localhost/x@${d}`)).toMatchObject({ reference: d, localRef: undefined });
  });

  it("picks linux/<arch> from an index", () => {
    const index = {
      manifests: [
        { mediaType: "m", digest: "sha256:w", size: 1, platform: { os: "windows", architecture: "amd64" } },
        { mediaType: "m", digest: "sha256:l", size: 1, platform: { os: "linux", architecture: "amd64" } },
        { mediaType: "m", digest: "sha256:a", size: 1, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
      ],
    };
    expect(pickPlatform(index, "amd64").digest).toBe("sha256:l");
    expect(pickPlatform(index, "arm64").digest).toBe("sha256:a");
    expect(() => pickPlatform(index, "s390x")).toThrow(/no manifest for linux\/s390x/);
  });

  it("retries transient failures with backoff, not others", async () => {
    let n = 0;
    expect(await withRetries(async () => (++n < 3 ? Promise.reject(new TransientError("503")) : "ok"), 5, 1)).toBe("ok");
    let m = 0;
    await expect(withRetries(async () => (++m, Promise.reject(new Error("bad"))), 5, 1)).rejects.toThrow("bad");
    expect(m).toBe(1);
  });

  it("bounds parallelism", async () => {
    let running = 0;
    let peak = 0;
    await mapLimit([...Array(10).keys()], 3, async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    expect(peak).toBe(3);
  });
});
