/**
 * The registry's /v2/ API against the distribution spec, endpoint by endpoint and error code by
 * error code, with plain fetch against a whole Berth (harness.ts).
 */
import { createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";
import { trpc } from "./trpc.js";
import {
  DOCKER_LIST,
  DOCKER_MANIFEST,
  OCI_INDEX,
  OCI_MANIFEST,
  basic,
  makeImage,
  pushBlob,
  pushImage,
  putManifest,
  req,
  sha256,
  sha512,
  token,
  type Creds,
} from "./registry-helpers.js";

let b: Instance;
let admin: Creds;
/** A token for everything these tests touch. */
let tok: string;

const REPOS = ["admin/conf", "admin/other", "admin/list", "admin/tags", "admin/refs", "admin/del", "admin/gc", "admin/s512", "admin/s512-mount", "admin/tagparam", "admin/nothing-here"];

beforeAll(async () => {
  b = await startInstance();
  admin = { user: "admin", pass: b.token };
  const t = await token(b.url, [...REPOS.map((r) => `repository:${r}:pull,push,delete`), "registry:catalog:*"], admin);
  expect(t.status).toBe(200);
  tok = t.token;
});
afterAll(async () => {
  await b?.stop();
});

const blobFile = (digest: string) => path.join(b.home, "content", "blobs", "sha256", digest.slice(7));
const ingestFiles = () => fs.readdirSync(path.join(b.home, "content", "ingest"));

describe("base and token endpoints", () => {
  it("GET /v2/ challenges without credentials and answers 200 with a token", async () => {
    const anon = await req(b.url, "GET", "/v2/");
    expect(anon.status).toBe(401);
    expect(anon.code).toBe("UNAUTHORIZED");
    expect(anon.headers.get("www-authenticate")).toBe(`Bearer realm="${b.url}/v2/token",service="berth"`);
    expect(anon.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    const ok = await req(b.url, "GET", "/v2/", { token: tok });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({});
    expect((await req(b.url, "GET", "/v2/", { headers: { authorization: basic(admin) } })).status).toBe(200);
  });

  it("signs tokens with a key kept in secret.key (0600) and refuses expired or forged ones", async () => {
    const keyFile = path.join(b.home, "secret.key");
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = Buffer.from(fs.readFileSync(keyFile, "utf8").trim(), "base64");
    const sign = (claims: object, k = key) => {
      const body = `${Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
      return `${body}.${createHmac("sha256", k).update(body).digest("base64url")}`;
    };
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: "berth", aud: "berth", sub: "", iat: now - 600, nbf: now - 600, exp: now - 300, jti: "t", access: [{ type: "repository", name: "admin/conf", actions: ["pull"] }] };
    const expired = await req(b.url, "GET", "/v2/admin/conf/tags/list", { token: sign(claims) });
    expect(expired.status).toBe(401);
    expect(expired.code).toBe("UNAUTHORIZED");
    expect(expired.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const forged = await req(b.url, "GET", "/v2/", { token: sign({ ...claims, exp: now + 300 }, randomBytes(32)) });
    expect(forged.status).toBe(401);
  });

  it("refuses wrong credentials at the token endpoint", async () => {
    const r = await token(b.url, ["repository:admin/conf:pull"], { user: "admin", pass: "wrong" });
    expect(r.status).toBe(401);
    const r2 = await token(b.url, ["repository:admin/conf:pull"], { user: "someone-else", pass: b.token });
    expect(r2.status).toBe(401);
  });

  it("grants only the requested scopes the user holds", async () => {
    const t = await token(b.url, ["repository:admin/conf:pull,push,delete", "repository:Bad/Name:pull"], admin);
    expect(t.access).toEqual([{ type: "repository", name: "admin/conf", actions: ["pull", "push", "delete"] }]);
    const anon = await token(b.url, ["repository:admin/conf:pull,push"]);
    expect(anon.status).toBe(200);
    expect(anon.access).toEqual([]);
  });
});

describe("blob uploads", () => {
  it("monolithic: POST ?digest= stores the blob, then HEAD and GET serve it", async () => {
    const data = randomBytes(1000);
    const digest = sha256(data);
    const r = await req(b.url, "POST", `/v2/admin/conf/blobs/uploads/?digest=${digest}`, { token: tok, body: data });
    expect(r.status).toBe(201);
    expect(r.headers.get("location")).toBe(`/v2/admin/conf/blobs/${digest}`);
    expect(r.headers.get("docker-content-digest")).toBe(digest);
    const head = await req(b.url, "HEAD", `/v2/admin/conf/blobs/${digest}`, { token: tok });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("1000");
    expect(head.headers.get("docker-content-digest")).toBe(digest);
    expect(head.body.length).toBe(0);
    const get = await req(b.url, "GET", `/v2/admin/conf/blobs/${digest}`, { token: tok });
    expect(get.status).toBe(200);
    expect(get.body.equals(data)).toBe(true);
    expect(fs.existsSync(blobFile(digest))).toBe(true);
  });

  it("POST then PUT with the whole body", async () => {
    const data = randomBytes(300);
    const post = await req(b.url, "POST", "/v2/admin/conf/blobs/uploads/", { token: tok });
    expect(post.status).toBe(202);
    const put = await req(b.url, "PUT", `${post.headers.get("location")}?digest=${sha256(data)}`, { token: tok, body: data, headers: { "content-type": "application/octet-stream" } });
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(sha256(data));
  });

  it("chunked in three PATCHes, with Location, Range and Docker-Upload-UUID, resumable from GET's Range", async () => {
    const data = randomBytes(3 * 1024 + 17);
    const chunks = [data.subarray(0, 1024), data.subarray(1024, 2500), data.subarray(2500)];
    const post = await req(b.url, "POST", "/v2/admin/conf/blobs/uploads/", { token: tok });
    expect(post.status).toBe(202);
    const uuid = post.headers.get("docker-upload-uuid")!;
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(post.headers.get("location")).toBe(`/v2/admin/conf/blobs/uploads/${uuid}`);
    expect(post.headers.get("range")).toBe("0-0");
    let location = post.headers.get("location")!;
    let offset = 0;
    for (const c of chunks) {
      const r = await req(b.url, "PATCH", location, {
        token: tok,
        body: c,
        headers: { "content-type": "application/octet-stream", "content-range": `${offset}-${offset + c.length - 1}` },
      });
      expect(r.status).toBe(202);
      offset += c.length;
      expect(r.headers.get("range")).toBe(`0-${offset - 1}`);
      expect(r.headers.get("docker-upload-uuid")).toBe(uuid);
      location = r.headers.get("location")!;
      // Partial uploads are never visible as blobs.
      expect((await req(b.url, "HEAD", `/v2/admin/conf/blobs/${sha256(data)}`, { token: tok })).status).toBe(404);
    }
    const status = await req(b.url, "GET", location, { token: tok });
    expect(status.status).toBe(204);
    expect(status.headers.get("range")).toBe(`0-${data.length - 1}`);
    const put = await req(b.url, "PUT", `${location}?digest=${sha256(data)}`, { token: tok });
    expect(put.status).toBe(201);
    const get = await req(b.url, "GET", `/v2/admin/conf/blobs/${sha256(data)}`, { token: tok });
    expect(get.body.equals(data)).toBe(true);
    // The finished upload is gone.
    expect((await req(b.url, "GET", location, { token: tok })).code).toBe("BLOB_UPLOAD_UNKNOWN");
  });

  it("refuses an out-of-order chunk with 416 and the Range to resume from", async () => {
    const post = await req(b.url, "POST", "/v2/admin/conf/blobs/uploads/", { token: tok });
    const loc = post.headers.get("location")!;
    const first = await req(b.url, "PATCH", loc, { token: tok, body: Buffer.alloc(100, 1), headers: { "content-range": "0-99" } });
    expect(first.status).toBe(202);
    const skip = await req(b.url, "PATCH", loc, { token: tok, body: Buffer.alloc(100, 2), headers: { "content-range": "200-299" } });
    expect(skip.status).toBe(416);
    expect(skip.code).toBe("BLOB_UPLOAD_INVALID");
    expect(skip.headers.get("range")).toBe("0-99");
    const again = await req(b.url, "PATCH", loc, { token: tok, body: Buffer.alloc(100, 2), headers: { "content-range": "0-99" } });
    expect(again.status).toBe(416);
    const next = await req(b.url, "PATCH", loc, { token: tok, body: Buffer.alloc(100, 2), headers: { "content-range": "100-199" } });
    expect(next.status).toBe(202);
    expect(next.headers.get("range")).toBe("0-199");
    const data = Buffer.concat([Buffer.alloc(100, 1), Buffer.alloc(100, 2)]);
    expect((await req(b.url, "PUT", `${loc}?digest=${sha256(data)}`, { token: tok })).status).toBe(201);
  });

  it("a wrong digest is DIGEST_INVALID and stores nothing", async () => {
    const data = randomBytes(500);
    const claimed = sha256(randomBytes(8));
    const before = ingestFiles().length;
    const mono = await req(b.url, "POST", `/v2/admin/conf/blobs/uploads/?digest=${claimed}`, { token: tok, body: data });
    expect(mono.status).toBe(400);
    expect(mono.code).toBe("DIGEST_INVALID");

    const post = await req(b.url, "POST", "/v2/admin/conf/blobs/uploads/", { token: tok });
    const loc = post.headers.get("location")!;
    await req(b.url, "PATCH", loc, { token: tok, body: data });
    const put = await req(b.url, "PUT", `${loc}?digest=${claimed}`, { token: tok });
    expect(put.status).toBe(400);
    expect(put.code).toBe("DIGEST_INVALID");
    for (const d of [claimed, sha256(data)]) {
      expect((await req(b.url, "HEAD", `/v2/admin/conf/blobs/${d}`, { token: tok })).status).toBe(404);
      expect(fs.existsSync(blobFile(d))).toBe(false);
    }
    expect(ingestFiles().length).toBe(before);
    expect((await req(b.url, "GET", loc, { token: tok })).code).toBe("BLOB_UPLOAD_UNKNOWN");
  });

  it("an upload abandoned half way publishes nothing; DELETE cancels it", async () => {
    const data = randomBytes(2000);
    const post = await req(b.url, "POST", "/v2/admin/conf/blobs/uploads/", { token: tok });
    const loc = post.headers.get("location")!;
    await req(b.url, "PATCH", loc, { token: tok, body: data.subarray(0, 1000), headers: { "content-range": "0-999" } });
    expect((await req(b.url, "HEAD", `/v2/admin/conf/blobs/${sha256(data)}`, { token: tok })).status).toBe(404);
    expect((await req(b.url, "HEAD", `/v2/admin/conf/blobs/${sha256(data.subarray(0, 1000))}`, { token: tok })).status).toBe(404);
    const del = await req(b.url, "DELETE", loc, { token: tok });
    expect(del.status).toBe(204);
    const after = await req(b.url, "PATCH", loc, { token: tok, body: data.subarray(1000) });
    expect(after.status).toBe(404);
    expect(after.code).toBe("BLOB_UPLOAD_UNKNOWN");
    expect(ingestFiles()).not.toContain(post.headers.get("docker-upload-uuid"));
  });

  it("an upload belongs to its repository", async () => {
    const post = await req(b.url, "POST", "/v2/admin/conf/blobs/uploads/", { token: tok });
    const uuid = post.headers.get("docker-upload-uuid")!;
    const r = await req(b.url, "PATCH", `/v2/admin/other/blobs/uploads/${uuid}`, { token: tok, body: Buffer.from("x") });
    expect(r.code).toBe("BLOB_UPLOAD_UNKNOWN");
    expect((await req(b.url, "GET", "/v2/admin/conf/blobs/uploads/not-a-uuid", { token: tok })).code).toBe("BLOB_UPLOAD_UNKNOWN");
  });

  it("takes the same blob and manifest pushed several times at once", async () => {
    const img = makeImage();
    const pushes = await Promise.all(
      Array.from({ length: 5 }, () => req(b.url, "POST", `/v2/admin/other/blobs/uploads/?digest=${sha256(img.layer)}`, { token: tok, body: img.layer })),
    );
    expect(pushes.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    await pushBlob(b.url, tok, "admin/other", img.config);
    const puts = await Promise.all(Array.from({ length: 4 }, () => putManifest(b.url, tok, "admin/other", "same", img.manifest)));
    expect(puts.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect((await req(b.url, "GET", "/v2/admin/other/manifests/same", { token: tok })).headers.get("docker-content-digest")).toBe(img.digest);
  });

  it("serves byte ranges", async () => {
    const data = Buffer.from("0123456789abcdefghij");
    const digest = await pushBlob(b.url, tok, "admin/conf", data);
    const p = `/v2/admin/conf/blobs/${digest}`;
    const part = await req(b.url, "GET", p, { token: tok, headers: { range: "bytes=5-9" } });
    expect(part.status).toBe(206);
    expect(part.body.toString()).toBe("56789");
    expect(part.headers.get("content-range")).toBe("bytes 5-9/20");
    expect(part.headers.get("content-length")).toBe("5");
    const tail = await req(b.url, "GET", p, { token: tok, headers: { range: "bytes=-3" } });
    expect(tail.body.toString()).toBe("hij");
    const open = await req(b.url, "GET", p, { token: tok, headers: { range: "bytes=18-" } });
    expect(open.body.toString()).toBe("ij");
    const bad = await req(b.url, "GET", p, { token: tok, headers: { range: "bytes=20-30" } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get("content-range")).toBe("bytes */20");
  });

  it("mounts a blob from another repository the caller can read", async () => {
    const digest = await pushBlob(b.url, tok, "admin/conf", randomBytes(64));
    expect((await req(b.url, "HEAD", `/v2/admin/other/blobs/${digest}`, { token: tok })).status).toBe(404);
    const m = await req(b.url, "POST", `/v2/admin/other/blobs/uploads/?mount=${digest}&from=admin/conf`, { token: tok });
    expect(m.status).toBe(201);
    expect(m.headers.get("location")).toBe(`/v2/admin/other/blobs/${digest}`);
    expect(m.headers.get("docker-content-digest")).toBe(digest);
    expect((await req(b.url, "HEAD", `/v2/admin/other/blobs/${digest}`, { token: tok })).status).toBe(200);
    // A blob the source does not have: an upload session instead.
    const miss = await req(b.url, "POST", `/v2/admin/other/blobs/uploads/?mount=${sha256("nope")}&from=admin/conf`, { token: tok });
    expect(miss.status).toBe(202);
    expect(miss.headers.get("docker-upload-uuid")).toBeTruthy();
  });

  it("a blob is served only through repositories that hold it", async () => {
    const digest = await pushBlob(b.url, tok, "admin/conf", randomBytes(64));
    const r = await req(b.url, "GET", `/v2/admin/other/blobs/${digest}`, { token: tok });
    expect(r.status).toBe(404);
    expect(r.code).toBe("BLOB_UNKNOWN");
  });

  it("deletes a blob from a repository: 202, then 404", async () => {
    const digest = await pushBlob(b.url, tok, "admin/del", randomBytes(64));
    const del = await req(b.url, "DELETE", `/v2/admin/del/blobs/${digest}`, { token: tok });
    expect(del.status).toBe(202);
    const head = await req(b.url, "HEAD", `/v2/admin/del/blobs/${digest}`, { token: tok });
    expect(head.status).toBe(404);
    const again = await req(b.url, "DELETE", `/v2/admin/del/blobs/${digest}`, { token: tok });
    expect(again.code).toBe("BLOB_UNKNOWN");
  });
});

describe("manifests", () => {
  it("PUT by tag, then GET and HEAD by tag and by digest return the same bytes and digest", async () => {
    const img = await pushImage(b.url, tok, "admin/conf", "v1");
    for (const ref of ["v1", img.digest]) {
      const get = await req(b.url, "GET", `/v2/admin/conf/manifests/${ref}`, { token: tok, headers: { accept: OCI_MANIFEST } });
      expect(get.status).toBe(200);
      expect(get.body.equals(img.manifest)).toBe(true);
      expect(get.headers.get("content-type")).toBe(OCI_MANIFEST);
      expect(get.headers.get("docker-content-digest")).toBe(img.digest);
      const head = await req(b.url, "HEAD", `/v2/admin/conf/manifests/${ref}`, { token: tok });
      expect(head.status).toBe(200);
      expect(head.headers.get("docker-content-digest")).toBe(img.digest);
      expect(head.headers.get("content-length")).toBe(String(img.manifest.length));
    }
  });

  it("answers PUT with 201, Location and Docker-Content-Digest; by digest, the digest must match", async () => {
    const img = makeImage();
    await pushBlob(b.url, tok, "admin/conf", img.config);
    await pushBlob(b.url, tok, "admin/conf", img.layer);
    const r = await putManifest(b.url, tok, "admin/conf", img.digest, img.manifest);
    expect(r.status).toBe(201);
    expect(r.headers.get("location")).toBe(`/v2/admin/conf/manifests/${img.digest}`);
    expect(r.headers.get("docker-content-digest")).toBe(img.digest);
    const wrong = await putManifest(b.url, tok, "admin/conf", sha256("other"), img.manifest);
    expect(wrong.status).toBe(400);
    expect(wrong.code).toBe("DIGEST_INVALID");
  });

  it("refuses a manifest naming a missing blob (MANIFEST_BLOB_UNKNOWN) and malformed ones (MANIFEST_INVALID)", async () => {
    const img = makeImage();
    await pushBlob(b.url, tok, "admin/conf", img.config);
    const r = await putManifest(b.url, tok, "admin/conf", "broken", img.manifest);
    expect(r.status).toBe(400);
    expect(r.code).toBe("MANIFEST_BLOB_UNKNOWN");
    expect(JSON.stringify(r.json())).toContain(sha256(img.layer));
    expect((await req(b.url, "GET", "/v2/admin/conf/manifests/broken", { token: tok })).code).toBe("MANIFEST_UNKNOWN");
    const junk = await putManifest(b.url, tok, "admin/conf", "junk", Buffer.from("{not json"));
    expect(junk.status).toBe(400);
    expect(junk.code).toBe("MANIFEST_INVALID");
    const badTag = await putManifest(b.url, tok, "admin/conf", "-bad", img.manifest);
    expect(badTag.code).toBe("MANIFEST_INVALID");
    const big = await putManifest(b.url, tok, "admin/conf", "big", Buffer.alloc(5 * 1024 * 1024, 32));
    expect(big.status).toBe(413);
  });

  it("takes Docker schema2 manifests and manifest lists, and negotiates by Accept", async () => {
    const img = await pushImage(b.url, tok, "admin/list", "amd64", makeImage("docker"));
    const list = {
      schemaVersion: 2,
      mediaType: DOCKER_LIST,
      manifests: [{ mediaType: DOCKER_MANIFEST, digest: img.digest, size: img.manifest.length, platform: { architecture: "amd64", os: "linux" } }],
    };
    const put = await putManifest(b.url, tok, "admin/list", "latest", list, DOCKER_LIST);
    expect(put.status).toBe(201);
    const get = await req(b.url, "GET", "/v2/admin/list/manifests/latest", { token: tok, headers: { accept: `${DOCKER_MANIFEST}, ${DOCKER_LIST}` } });
    expect(get.status).toBe(200);
    expect(get.headers.get("content-type")).toBe(DOCKER_LIST);
    expect(get.headers.get("docker-content-digest")).toBe(sha256(Buffer.from(JSON.stringify(list))));

    const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: list.manifests };
    expect((await putManifest(b.url, tok, "admin/list", "oci", index, OCI_INDEX)).status).toBe(201);
    // A client that accepts only Docker types does not get an OCI index by tag.
    const refused = await req(b.url, "GET", "/v2/admin/list/manifests/oci", { token: tok, headers: { accept: `${DOCKER_MANIFEST}, ${DOCKER_LIST}` } });
    expect(refused.status).toBe(404);
    expect(refused.code).toBe("MANIFEST_UNKNOWN");
    const ok = await req(b.url, "GET", "/v2/admin/list/manifests/oci", { token: tok, headers: { accept: OCI_INDEX } });
    expect(ok.status).toBe(200);

    const dangling = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256("missing"), size: 10 }] };
    const bad = await putManifest(b.url, tok, "admin/list", "dangling", dangling, OCI_INDEX);
    expect(bad.status).toBe(400);
    expect(bad.code).toBe("MANIFEST_BLOB_UNKNOWN");
  });

  it("deletes by tag (the manifest stays) and by digest (its tags go too)", async () => {
    const img = await pushImage(b.url, tok, "admin/del", "a");
    await putManifest(b.url, tok, "admin/del", "b", img.manifest);
    expect((await req(b.url, "DELETE", "/v2/admin/del/manifests/a", { token: tok })).status).toBe(202);
    expect((await req(b.url, "GET", "/v2/admin/del/manifests/a", { token: tok })).code).toBe("MANIFEST_UNKNOWN");
    expect((await req(b.url, "GET", `/v2/admin/del/manifests/${img.digest}`, { token: tok })).status).toBe(200);
    expect((await req(b.url, "DELETE", `/v2/admin/del/manifests/${img.digest}`, { token: tok })).status).toBe(202);
    const gone = await req(b.url, "GET", `/v2/admin/del/manifests/${img.digest}`, { token: tok });
    expect(gone.status).toBe(404);
    expect(gone.code).toBe("MANIFEST_UNKNOWN");
    expect((await req(b.url, "GET", "/v2/admin/del/manifests/b", { token: tok })).status).toBe(404);
    expect((await req(b.url, "DELETE", `/v2/admin/del/manifests/${img.digest}`, { token: tok })).code).toBe("MANIFEST_UNKNOWN");
  });
});

describe("garbage collection", () => {
  it("sweeps blobs nothing references after deletes, and keeps shared blobs and the host's images", async () => {
    const img = await pushImage(b.url, tok, "admin/gc", "1");
    const shared = await pushBlob(b.url, tok, "admin/gc", randomBytes(128));
    expect((await req(b.url, "POST", `/v2/admin/other/blobs/uploads/?mount=${shared}&from=admin/gc`, { token: tok })).status).toBe(201);
    const { config, layers } = JSON.parse(img.manifest.toString()) as { config: { digest: string }; layers: { digest: string }[] };
    const own = [img.digest, config.digest, layers[0]!.digest];
    expect((await req(b.url, "DELETE", `/v2/admin/gc/manifests/${img.digest}`, { token: tok })).status).toBe(202);
    for (const d of [config.digest, layers[0]!.digest, shared]) expect((await req(b.url, "DELETE", `/v2/admin/gc/blobs/${d}`, { token: tok })).status).toBe(202);

    // The automatic sweep keeps anything younger than an hour.
    expect((await trpc<{ removed: number }>(b.url, b.token, "repo.gc", {}, "mutation")).data).toEqual({ removed: 0, bytes: 0 });
    for (const d of own) expect(fs.existsSync(blobFile(d))).toBe(true);

    const gc = await trpc<{ removed: number }>(b.url, b.token, "repo.gc", { graceSeconds: 0 }, "mutation");
    expect(gc.data!.removed).toBeGreaterThanOrEqual(3);
    for (const d of own) expect(fs.existsSync(blobFile(d)), d).toBe(false);
    expect(fs.existsSync(blobFile(shared))).toBe(true);
    expect((await req(b.url, "GET", `/v2/admin/other/blobs/${shared}`, { token: tok })).status).toBe(200);
    // busybox:latest, made by the worker at start, is not the registry's but shares the store.
    const made = b.logs().split("\n").find((l) => l.includes('"msg":"created busybox:latest"'));
    const { image, layer } = JSON.parse(made!) as { image: string; layer: string };
    expect(fs.existsSync(blobFile(image))).toBe(true);
    expect(fs.existsSync(blobFile(layer))).toBe(true);
    // Other repositories' images are whole.
    expect((await req(b.url, "GET", "/v2/admin/conf/manifests/v1", { token: tok })).status).toBe(200);
    const bob = await trpc(b.url, undefined, "repo.gc", { graceSeconds: 0 }, "mutation");
    expect(bob.status).toBe(401);
  });
});

describe("listing", () => {
  it("tags/list paginates with n/last and a Link header", async () => {
    const img = await pushImage(b.url, tok, "admin/tags", "e");
    for (const t of ["c", "a", "d", "b"]) expect((await putManifest(b.url, tok, "admin/tags", t, img.manifest)).status).toBe(201);
    const all = await req(b.url, "GET", "/v2/admin/tags/tags/list", { token: tok });
    expect(all.json()).toEqual({ name: "admin/tags", tags: ["a", "b", "c", "d", "e"] });
    expect(all.headers.get("link")).toBeNull();
    const pages: string[][] = [];
    let next: string | null = "/v2/admin/tags/tags/list?n=2";
    while (next) {
      const r = await req(b.url, "GET", next, { token: tok });
      pages.push(r.json<{ tags: string[] }>().tags);
      const link = r.headers.get("link");
      next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1]! : null;
    }
    expect(pages).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    const after = await req(b.url, "GET", "/v2/admin/tags/tags/list?last=c", { token: tok });
    expect(after.json<{ tags: string[] }>().tags).toEqual(["d", "e"]);
    expect((await req(b.url, "GET", "/v2/admin/tags/tags/list?n=x", { token: tok })).code).toBe("PAGINATION_NUMBER_INVALID");
    const missing = await req(b.url, "GET", "/v2/admin/nothing-here/tags/list", { token: (await token(b.url, ["repository:admin/nothing-here:pull"], admin)).token });
    expect(missing.status).toBe(404);
    expect(missing.code).toBe("NAME_UNKNOWN");
  });

  it("_catalog paginates with n/last and a Link header", async () => {
    const all = (await req(b.url, "GET", "/v2/_catalog", { token: tok })).json<{ repositories: string[] }>().repositories;
    expect(all).toEqual([...all].sort());
    expect(all).toEqual(expect.arrayContaining(["admin/conf", "admin/list", "admin/tags"]));
    const first = await req(b.url, "GET", "/v2/_catalog?n=1", { token: tok });
    expect(first.json<{ repositories: string[] }>().repositories).toEqual([all[0]]);
    expect(first.headers.get("link")).toBe(`</v2/_catalog?n=1&last=${encodeURIComponent(all[0]!)}>; rel="next"`);
    const second = await req(b.url, "GET", `/v2/_catalog?n=1&last=${all[0]}`, { token: tok });
    expect(second.json<{ repositories: string[] }>().repositories).toEqual([all[1]]);
  });
});

describe("referrers", () => {
  it("lists the manifests whose subject is a digest, filtered by artifactType", async () => {
    const img = await pushImage(b.url, tok, "admin/refs", "v1");
    const empty = Buffer.from("{}");
    const emptyDigest = await pushBlob(b.url, tok, "admin/refs", empty);
    const sbomBlob = await pushBlob(b.url, tok, "admin/refs", Buffer.from('{"sbom":true}'));
    const artifact = (type: string, blob: string) => ({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: type,
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: emptyDigest, size: 2 },
      layers: [{ mediaType: "application/json", digest: blob, size: 13 }],
      subject: { mediaType: OCI_MANIFEST, digest: img.digest, size: img.manifest.length },
      annotations: { "org.example.kind": type },
    });
    const sbom = artifact("application/vnd.example.sbom", sbomBlob);
    const sig = artifact("application/vnd.example.sig", sbomBlob);
    const put = await putManifest(b.url, tok, "admin/refs", sha256(Buffer.from(JSON.stringify(sbom))), sbom);
    expect(put.status).toBe(201);
    expect(put.headers.get("oci-subject")).toBe(img.digest);
    expect((await putManifest(b.url, tok, "admin/refs", sha256(Buffer.from(JSON.stringify(sig))), sig)).status).toBe(201);

    const all = await req(b.url, "GET", `/v2/admin/refs/referrers/${img.digest}`, { token: tok });
    expect(all.status).toBe(200);
    expect(all.headers.get("content-type")).toBe(OCI_INDEX);
    const idx = all.json<{ schemaVersion: number; mediaType: string; manifests: { digest: string; artifactType: string; annotations: object; size: number }[] }>();
    expect(idx.schemaVersion).toBe(2);
    expect(idx.mediaType).toBe(OCI_INDEX);
    expect(idx.manifests.map((m) => m.artifactType).sort()).toEqual(["application/vnd.example.sbom", "application/vnd.example.sig"]);
    expect(idx.manifests.find((m) => m.artifactType === "application/vnd.example.sbom")).toEqual({
      mediaType: OCI_MANIFEST,
      digest: sha256(Buffer.from(JSON.stringify(sbom))),
      size: Buffer.byteLength(JSON.stringify(sbom)),
      artifactType: "application/vnd.example.sbom",
      annotations: { "org.example.kind": "application/vnd.example.sbom" },
    });
    const filtered = await req(b.url, "GET", `/v2/admin/refs/referrers/${img.digest}?artifactType=application/vnd.example.sig`, { token: tok });
    expect(filtered.headers.get("oci-filters-applied")).toBe("artifactType");
    expect(filtered.json<{ manifests: unknown[] }>().manifests).toHaveLength(1);
    const none = await req(b.url, "GET", `/v2/admin/refs/referrers/${sha256("nothing")}`, { token: tok });
    expect(none.status).toBe(200);
    expect(none.json<{ manifests: unknown[] }>().manifests).toEqual([]);
    expect((await req(b.url, "GET", "/v2/admin/refs/referrers/sha256:xyz", { token: tok })).code).toBe("DIGEST_INVALID");
  });
});

describe("OCI 1.1: sha512 digests", () => {
  const blob512File = (digest: string) => path.join(b.home, "content", "blobs", "sha512", digest.slice(7));

  it("a sha512 blob not pushed is 404 BLOB_UNKNOWN (HEAD and GET), not an invalid digest", async () => {
    const missing = sha512(randomBytes(512));
    const get = await req(b.url, "GET", `/v2/admin/s512/blobs/${missing}`, { token: tok });
    expect(get.status).toBe(404);
    await pushBlob(b.url, tok, "admin/s512", randomBytes(10)); // the repository exists from here on
    for (const method of ["GET", "HEAD"]) {
      const r = await req(b.url, method, `/v2/admin/s512/blobs/${missing}`, { token: tok });
      expect(r.status, method).toBe(404);
      if (method === "GET") expect(r.code).toBe("BLOB_UNKNOWN");
    }
  });

  it("takes sha512 blobs monolithic, POST+PUT and chunked, verifies them with sha512 and serves them by that digest", async () => {
    const mono = randomBytes(512);
    const d = sha512(mono);
    const r = await req(b.url, "POST", `/v2/admin/s512/blobs/uploads/?digest=${d}`, { token: tok, body: mono, headers: { "content-type": "application/octet-stream" } });
    expect(r.status).toBe(201);
    expect(r.headers.get("docker-content-digest")).toBe(d);
    expect(r.headers.get("location")).toBe(`/v2/admin/s512/blobs/${d}`);
    const head = await req(b.url, "HEAD", `/v2/admin/s512/blobs/${d}`, { token: tok });
    expect(head.status).toBe(200);
    expect(head.headers.get("docker-content-digest")).toBe(d);
    expect(head.headers.get("content-length")).toBe("512");
    const get = await req(b.url, "GET", `/v2/admin/s512/blobs/${d}`, { token: tok });
    expect(get.body.equals(mono)).toBe(true);
    expect(fs.existsSync(blob512File(d))).toBe(true);

    const pp = randomBytes(700);
    const post = await req(b.url, "POST", "/v2/admin/s512/blobs/uploads/", { token: tok });
    const put = await req(b.url, "PUT", `${post.headers.get("location")}?digest=${sha512(pp)}`, { token: tok, body: pp, headers: { "content-type": "application/octet-stream" } });
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(sha512(pp));

    const chunked = randomBytes(3000);
    let loc = (await req(b.url, "POST", "/v2/admin/s512/blobs/uploads/", { token: tok })).headers.get("location")!;
    for (const [start, end] of [[0, 1000], [1000, 2000]] as const) {
      const p = await req(b.url, "PATCH", loc, { token: tok, body: chunked.subarray(start, end), headers: { "content-type": "application/octet-stream", "content-range": `${start}-${end - 1}` } });
      expect(p.status).toBe(202);
      loc = p.headers.get("location")!;
    }
    const last = await req(b.url, "PUT", `${loc}?digest=${sha512(chunked)}`, { token: tok, body: chunked.subarray(2000), headers: { "content-type": "application/octet-stream", "content-range": "2000-2999" } });
    expect(last.status).toBe(201);
    expect((await req(b.url, "GET", `/v2/admin/s512/blobs/${sha512(chunked)}`, { token: tok })).body.equals(chunked)).toBe(true);

    // The bytes are checked with sha512: a sha512 of other bytes is refused, and nothing is stored.
    const wrong = sha512(Buffer.from("other bytes"));
    const bad = await req(b.url, "POST", `/v2/admin/s512/blobs/uploads/?digest=${wrong}`, { token: tok, body: randomBytes(64) });
    expect(bad.status).toBe(400);
    expect(bad.code).toBe("DIGEST_INVALID");
    expect(fs.existsSync(blob512File(wrong))).toBe(false);
  });

  it("mounts a sha512 blob from another repository", async () => {
    const data = randomBytes(512);
    await pushBlob(b.url, tok, "admin/s512", data, "sha512");
    const r = await req(b.url, "POST", `/v2/admin/s512-mount/blobs/uploads/?mount=${sha512(data)}&from=admin/s512`, { token: tok });
    expect(r.status).toBe(201);
    expect(r.headers.get("docker-content-digest")).toBe(sha512(data));
    expect((await req(b.url, "HEAD", `/v2/admin/s512-mount/blobs/${sha512(data)}`, { token: tok })).status).toBe(200);
  });

  it("takes an image and an index whose digests are all sha512, pushed by digest, and serves them by those digests", async () => {
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
    const layer = randomBytes(300);
    await pushBlob(b.url, tok, "admin/s512", config, "sha512");
    await pushBlob(b.url, tok, "admin/s512", layer, "sha512");
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha512(config), size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha512(layer), size: layer.length }],
      }),
    );
    const md = sha512(manifest);
    const put = await putManifest(b.url, tok, "admin/s512", md, manifest);
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(md);
    expect(put.headers.get("location")).toBe(`/v2/admin/s512/manifests/${md}`);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: md, size: manifest.length, platform: { os: "linux", architecture: "amd64" } }] }));
    const id = sha512(index);
    expect((await putManifest(b.url, tok, "admin/s512", id, index, OCI_INDEX)).status).toBe(201);
    for (const [d, body, type] of [[md, manifest, OCI_MANIFEST], [id, index, OCI_INDEX]] as const) {
      const get = await req(b.url, "GET", `/v2/admin/s512/manifests/${d}`, { token: tok, headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` } });
      expect(get.status).toBe(200);
      expect(get.body.equals(body)).toBe(true);
      expect(get.headers.get("content-type")).toBe(type);
      expect(get.headers.get("docker-content-digest")).toBe(d);
      const head = await req(b.url, "HEAD", `/v2/admin/s512/manifests/${d}`, { token: tok });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe(String(body.length));
    }
    expect(fs.existsSync(blob512File(md))).toBe(true);
    // A sha512 manifest not pushed is unknown; bytes that do not match their sha512 are refused.
    expect((await req(b.url, "GET", `/v2/admin/s512/manifests/${sha512(Buffer.from("none"))}`, { token: tok })).status).toBe(404);
    const mismatch = await putManifest(b.url, tok, "admin/s512", sha512(Buffer.from("x")), manifest);
    expect(mismatch.status).toBe(400);
    expect(mismatch.code).toBe("DIGEST_INVALID");
    // Deleted by its sha512 digest.
    expect((await req(b.url, "DELETE", `/v2/admin/s512/manifests/${id}`, { token: tok })).status).toBe(202);
    expect((await req(b.url, "GET", `/v2/admin/s512/manifests/${id}`, { token: tok })).status).toBe(404);
  });
});

/** A request by node's http, to see each header line as sent (fetch joins repeated headers). */
function rawRequest(method: string, p: string, body: Buffer | undefined, headers: Record<string, string>): Promise<{ status: number; headerLines: [string, string][]; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(b.url);
    const r = http.request({ host: u.hostname, port: u.port, method, path: p, headers: { ...headers, ...(body ? { "content-length": String(body.length) } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d));
      res.on("end", () => {
        const lines: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
        resolve({ status: res.statusCode ?? 0, headerLines: lines, body: text });
      });
    });
    r.on("error", reject);
    r.end(body);
  });
}

describe("OCI 1.1: tag parameters, empty referrers, invalid tags", () => {
  it("PUT manifests/<digest>?tag=a&tag=b points both tags at it and answers one OCI-Tag line per tag", async () => {
    const img = makeImage();
    await pushBlob(b.url, tok, "admin/tagparam", img.config);
    await pushBlob(b.url, tok, "admin/tagparam", img.layer);
    const put = await rawRequest("PUT", `/v2/admin/tagparam/manifests/${img.digest}?tag=a&tag=b`, img.manifest, { authorization: `Bearer ${tok}`, "content-type": OCI_MANIFEST });
    expect(put.status).toBe(201);
    expect(put.headerLines.filter(([k]) => k === "oci-tag").map(([, v]) => v)).toEqual(["a", "b"]);
    expect(put.headerLines).toContainEqual(["docker-content-digest", img.digest]);
    const tags = await req(b.url, "GET", "/v2/admin/tagparam/tags/list", { token: tok });
    expect(tags.json<{ tags: string[] }>().tags).toEqual(["a", "b"]);
    for (const t of ["a", "b"]) expect((await req(b.url, "HEAD", `/v2/admin/tagparam/manifests/${t}`, { token: tok })).headers.get("docker-content-digest")).toBe(img.digest);

    // With sha512, tag parameters are the only way to tag: the tag serves the manifest under its sha512 digest.
    const m512 = Buffer.from(JSON.stringify({ ...(JSON.parse(img.manifest.toString()) as object), annotations: { n: "512" } }));
    const put512 = await rawRequest("PUT", `/v2/admin/tagparam/manifests/${sha512(m512)}?tag=c`, m512, { authorization: `Bearer ${tok}`, "content-type": OCI_MANIFEST });
    expect(put512.status).toBe(201);
    expect(put512.headerLines.filter(([k]) => k === "oci-tag").map(([, v]) => v)).toEqual(["c"]);
    const byTag = await req(b.url, "GET", "/v2/admin/tagparam/manifests/c", { token: tok, headers: { accept: OCI_MANIFEST } });
    expect(byTag.body.equals(m512)).toBe(true);
    expect(byTag.headers.get("docker-content-digest")).toBe(sha512(m512));

    // An invalid tag parameter refuses the whole push: no tag moves.
    const bad = await putManifest(b.url, tok, "admin/tagparam", `${sha256(img.manifest)}?tag=d&tag=-bad`, img.manifest);
    expect(bad.status).toBe(400);
    expect(bad.code).toBe("MANIFEST_INVALID");
    expect((await req(b.url, "GET", "/v2/admin/tagparam/tags/list", { token: tok })).json<{ tags: string[] }>().tags).toEqual(["a", "b", "c"]);
  });

  it("referrers of a repository with nothing in it: 200 and an empty OCI index", async () => {
    const r = await req(b.url, "GET", `/v2/admin/nothing-here/referrers/${sha256("anything")}`, { token: tok });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe(OCI_INDEX);
    expect(r.json()).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    // Still behind auth: without a token it is a challenge, as for anything else.
    expect((await req(b.url, "GET", `/v2/admin/nothing-here/referrers/${sha256("anything")}`)).status).toBe(401);
  });

  it("HEAD and GET of a manifest by a malformed tag: 401 without credentials, then 404 MANIFEST_UNKNOWN", async () => {
    await pushImage(b.url, tok, "admin/conf", "ok-tag");
    for (const bad of ["-leading-dash", ".dot", "x".repeat(129)]) {
      for (const method of ["HEAD", "GET"]) {
        const anon = await req(b.url, method, `/v2/admin/conf/manifests/${bad}`);
        expect(anon.status, `${method} ${bad} without a token`).toBe(401);
        expect(anon.headers.get("www-authenticate")).toContain("repository:admin/conf:pull");
        const r = await req(b.url, method, `/v2/admin/conf/manifests/${bad}`, { token: tok });
        expect(r.status, `${method} ${bad}`).toBe(404);
        if (method === "GET") expect(r.code).toBe("MANIFEST_UNKNOWN");
      }
    }
  });
});

describe("names and methods", () => {
  it("refuses invalid repository names with NAME_INVALID", async () => {
    for (const name of ["Admin/App", "admin/a..b", "app", "admin/UPPER"]) {
      const r = await req(b.url, "GET", `/v2/${name}/tags/list`, { token: tok });
      expect(r.status, name).toBe(400);
      expect(r.code, name).toBe("NAME_INVALID");
    }
    // `..` as a path segment (fetch would normalise it away, so speak HTTP directly).
    const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(b.url);
      const r = http.request({ host: u.hostname, port: u.port, path: "/v2/admin/../etc/tags/list", headers: { authorization: `Bearer ${tok}` } }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      r.on("error", reject);
      r.end();
    });
    expect(raw.status).toBe(400);
    expect(raw.body).toContain("NAME_INVALID");
  });

  it("answers unsupported methods with 405 UNSUPPORTED and Allow", async () => {
    const r = await req(b.url, "POST", "/v2/admin/conf/manifests/v1", { token: tok, body: "{}" });
    expect(r.status).toBe(405);
    expect(r.code).toBe("UNSUPPORTED");
    expect(r.headers.get("allow")).toContain("PUT");
  });

  it("limits failed logins per client (TOOMANYREQUESTS)", async () => {
    // Last in this file: the limit also holds off good passwords from this address for a minute.
    let last = 0;
    for (let i = 0; i < 25 && last !== 429; i++) last = (await token(b.url, [], { user: "admin", pass: `wrong-${i}` })).status;
    expect(last).toBe(429);
    const r = await req(b.url, "GET", "/v2/token", { headers: { authorization: basic(admin) } });
    expect(r.status).toBe(429);
    expect(r.code).toBe("TOOMANYREQUESTS");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
