/**
 * Registry edge cases the issue names, beyond registry-conformance.test.ts: chunks sent out of
 * order (refused, resumed, completed byte-exact), an upload abandoned half way in a fresh
 * repository (no blob, no repository, no tag), invalid names on every write path, and expired
 * tokens refused for writes as well as reads.
 */
import { createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";
import { OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, putManifest, req, sha256, token, type Creds } from "./registry-helpers.js";

let b: Instance;
let admin: Creds;
let tok: string;

beforeAll(async () => {
  b = await startInstance();
  admin = { user: "admin", pass: b.token };
  const t = await token(b.url, ["repository:admin/chunks:pull,push", "repository:admin/cutoff:pull,push", "repository:admin/abandoned:pull,push", "registry:catalog:*"], admin);
  expect(t.status).toBe(200);
  tok = t.token;
});
afterAll(async () => {
  await b?.stop();
});

const blobFile = (digest: string) => path.join(b.home, "content", "blobs", "sha256", digest.slice(7));

describe("chunked uploads out of order", () => {
  it("refuses each early or repeated chunk with 416 and the current Range, then completes byte-exact", async () => {
    const data = randomBytes(4096 + 333);
    const cuts = [0, 1000, 2048, 3500, data.length];
    const chunks = cuts.slice(0, -1).map((s, i) => ({ start: s, end: cuts[i + 1]! - 1, bytes: data.subarray(s, cuts[i + 1]) }));
    const post = await req(b.url, "POST", "/v2/admin/chunks/blobs/uploads/", { token: tok });
    expect(post.status).toBe(202);
    let loc = post.headers.get("location")!;
    const patch = (c: (typeof chunks)[number]) =>
      req(b.url, "PATCH", loc, { token: tok, body: c.bytes, headers: { "content-type": "application/octet-stream", "content-range": `${c.start}-${c.end}` } });

    // Nothing received yet: a chunk that does not start at 0 is refused.
    const early = await patch(chunks[2]!);
    expect(early.status).toBe(416);
    expect(early.code).toBe("BLOB_UPLOAD_INVALID");
    expect(early.headers.get("range")).toBe("0-0");

    // Sent in the order 0, 3 (refused), 1, 1 again (refused), 2, 3.
    const order: [number, number, string][] = [
      [0, 202, "0-999"],
      [3, 416, "0-999"],
      [1, 202, "0-2047"],
      [1, 416, "0-2047"],
      [2, 202, "0-3499"],
    ];
    for (const [i, status, range] of order) {
      const r = await patch(chunks[i]!);
      expect(r.status, `chunk ${i}`).toBe(status);
      expect(r.headers.get("range"), `chunk ${i}`).toBe(range);
      if (r.status === 202) loc = r.headers.get("location")!;
      // The upload's status agrees with the last answer.
      const st = await req(b.url, "GET", loc, { token: tok });
      expect(st.status).toBe(204);
      expect(st.headers.get("range")).toBe(range);
    }
    // The last chunk goes with the closing PUT.
    const last = chunks[3]!;
    const put = await req(b.url, "PUT", `${loc}?digest=${sha256(data)}`, {
      token: tok,
      body: last.bytes,
      headers: { "content-type": "application/octet-stream", "content-range": `${last.start}-${last.end}` },
    });
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(sha256(data));
    const get = await req(b.url, "GET", `/v2/admin/chunks/blobs/${sha256(data)}`, { token: tok });
    expect(get.status).toBe(200);
    expect(get.body.equals(data)).toBe(true);
    expect(sha256(fs.readFileSync(blobFile(sha256(data))))).toBe(sha256(data));
  });
});

describe("a streamed chunk cut off by the client", () => {
  it("keeps a whole prefix of the bytes (the Range says how much); the upload resumes from there and completes byte-exact", async () => {
    // Several MiB in odd-sized pieces: the registry writes the socket's chunks to the file in
    // batches, and what was received but not yet written when the client vanished must not leave a hole.
    const data = randomBytes((6 << 20) + 4321);
    const sent = (3 << 20) + 777;
    const post = await req(b.url, "POST", "/v2/admin/cutoff/blobs/uploads/", { token: tok });
    expect(post.status).toBe(202);
    const loc = post.headers.get("location")!;
    const uploadFile = path.join(b.home, "content", "uploads", post.headers.get("docker-upload-uuid")!);
    const status = async () => {
      const st = await req(b.url, "GET", loc, { token: tok });
      expect(st.status).toBe(204);
      return Number(st.headers.get("range")!.split("-")[1]) + 1;
    };

    // A PATCH announcing the whole blob, of which only `sent` bytes come before the connection drops.
    const cut = http.request(`${b.url}${loc}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${tok}`, "content-type": "application/octet-stream", "content-length": String(data.length) },
    });
    cut.on("error", () => {});
    for (let at = 0; at < sent; at += 65_000 + 17) cut.write(data.subarray(at, Math.min(sent, at + 65_000 + 17)));
    // Wait until the registry has stored some of it, then vanish.
    while ((await status()) < 1 << 20) await new Promise((r) => setTimeout(r, 20));
    cut.destroy();

    // Resume the way clients do: from the size the registry reports (a 416 carries the newer one).
    let from = await status();
    for (;;) {
      expect(from).toBeLessThanOrEqual(sent);
      // Whatever the registry holds is exactly the start of the blob.
      expect(fs.readFileSync(uploadFile).equals(data.subarray(0, fs.statSync(uploadFile).size))).toBe(true);
      const rest = await req(b.url, "PATCH", loc, {
        token: tok,
        body: data.subarray(from),
        headers: { "content-type": "application/octet-stream", "content-range": `${from}-${data.length - 1}` },
      });
      if (rest.status === 416) {
        from = Number(rest.headers.get("range")!.split("-")[1]) + 1;
        continue;
      }
      expect(rest.status).toBe(202);
      expect(rest.headers.get("range")).toBe(`0-${data.length - 1}`);
      break;
    }
    const put = await req(b.url, "PUT", `${loc}?digest=${sha256(data)}`, { token: tok });
    expect(put.status).toBe(201);
    const get = await req(b.url, "GET", `/v2/admin/cutoff/blobs/${sha256(data)}`, { token: tok });
    expect(get.status).toBe(200);
    expect(get.body.equals(data)).toBe(true);
  });
});

describe("an upload abandoned half way", () => {
  it("publishes nothing: no blob, no repository in the catalog, no tags, and no manifest can name it", async () => {
    const layer = randomBytes(3000);
    const post = await req(b.url, "POST", "/v2/admin/abandoned/blobs/uploads/", { token: tok });
    expect(post.status).toBe(202);
    const loc = post.headers.get("location")!;
    const half = await req(b.url, "PATCH", loc, { token: tok, body: layer.subarray(0, 1500), headers: { "content-range": "0-1499" } });
    expect(half.status).toBe(202);
    // ... and the client goes away.
    for (const d of [sha256(layer), sha256(layer.subarray(0, 1500))]) {
      expect((await req(b.url, "HEAD", `/v2/admin/abandoned/blobs/${d}`, { token: tok })).status).toBe(404);
      const get = await req(b.url, "GET", `/v2/admin/abandoned/blobs/${d}`, { token: tok });
      expect(get.status).toBe(404);
      expect(get.code).toMatch(/^(BLOB_UNKNOWN|NAME_UNKNOWN)$/);
      expect(fs.existsSync(blobFile(d))).toBe(false);
    }
    const tags = await req(b.url, "GET", "/v2/admin/abandoned/tags/list", { token: tok });
    expect(tags.status).toBe(404);
    expect(tags.code).toBe("NAME_UNKNOWN");
    const catalog = await req(b.url, "GET", "/v2/_catalog", { token: tok });
    expect(catalog.json<{ repositories: string[] }>().repositories).not.toContain("admin/abandoned");

    // A manifest naming the half-uploaded layer is refused, and still nothing is listed.
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
    const cfg = await req(b.url, "POST", `/v2/admin/abandoned/blobs/uploads/?digest=${sha256(config)}`, { token: tok, body: config });
    expect(cfg.status).toBe(201);
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER, digest: sha256(layer), size: layer.length }],
    };
    const m = await putManifest(b.url, tok, "admin/abandoned", "v1", manifest);
    expect(m.status).toBe(400);
    expect(m.code).toBe("MANIFEST_BLOB_UNKNOWN");
    const tags2 = await req(b.url, "GET", "/v2/admin/abandoned/tags/list", { token: tok });
    expect(tags2.json<{ tags?: string[] }>().tags ?? []).toEqual([]);
  });
});

describe("invalid names", () => {
  it("are NAME_INVALID on uploads, manifest pushes and mounts, and get no scope at the token endpoint", async () => {
    const t = await token(b.url, ["repository:admin/a..b:push,pull", "repository:Admin/app:push,pull", "repository:admin/App:push,pull", "repository:admin/ok:push,pull"], admin);
    expect(t.access).toEqual([{ type: "repository", name: "admin/ok", actions: ["pull", "push"] }]);
    const data = randomBytes(64);
    for (const name of ["admin/a..b", "admin/..hidden", "Admin/app", "admin/App", "admin/UPPER/case"]) {
      const post = await req(b.url, "POST", `/v2/${name}/blobs/uploads/`, { token: tok });
      expect(post.status, name).toBe(400);
      expect(post.code, name).toBe("NAME_INVALID");
      const mono = await req(b.url, "POST", `/v2/${name}/blobs/uploads/?digest=${sha256(data)}`, { token: tok, body: data });
      expect(mono.code, name).toBe("NAME_INVALID");
      const mount = await req(b.url, "POST", `/v2/${name}/blobs/uploads/?mount=${sha256(data)}&from=admin/chunks`, { token: tok });
      expect(mount.code, name).toBe("NAME_INVALID");
      const m = await putManifest(b.url, tok, name, "v1", { schemaVersion: 2 });
      expect(m.status, name).toBe(400);
      expect(m.code, name).toBe("NAME_INVALID");
    }
    const catalog = await req(b.url, "GET", "/v2/_catalog", { token: tok });
    expect(catalog.json<{ repositories: string[] }>().repositories.filter((r) => r.includes("..") || r !== r.toLowerCase())).toEqual([]);
  });
});

describe("expired tokens", () => {
  it("are refused for pushes and pulls alike, with invalid_token in the challenge", async () => {
    const key = Buffer.from(fs.readFileSync(path.join(b.home, "secret.key"), "utf8").trim(), "base64");
    const sign = (claims: object) => {
      const body = `${Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
      return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
    };
    // A real token's claims (its user id included), re-signed with another expiry.
    const issued = JSON.parse(Buffer.from(tok.split(".")[1]!, "base64url").toString()) as { exp: number };
    const now = Math.floor(Date.now() / 1000);
    const claims = (exp: number) => ({ ...issued, iat: exp - 300, nbf: exp - 300, exp });
    // The same claims valid for another minute work: the key and the form are right.
    const fresh = sign(claims(now + 60));
    expect((await req(b.url, "POST", "/v2/admin/chunks/blobs/uploads/", { token: fresh })).status).toBe(202);

    const expired = sign(claims(now - 1));
    const data = randomBytes(32);
    const attempts = [
      await req(b.url, "POST", "/v2/admin/chunks/blobs/uploads/", { token: expired }),
      await req(b.url, "POST", `/v2/admin/chunks/blobs/uploads/?digest=${sha256(data)}`, { token: expired, body: data }),
      await putManifest(b.url, expired, "admin/chunks", "expired", { schemaVersion: 2 }),
      await req(b.url, "GET", "/v2/admin/chunks/tags/list", { token: expired }),
      await req(b.url, "GET", "/v2/", { token: expired }),
    ];
    for (const r of attempts) {
      expect(r.status).toBe(401);
      expect(r.code).toBe("UNAUTHORIZED");
      expect(r.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
    expect(fs.existsSync(blobFile(sha256(data)))).toBe(false);
  });
});
