/**
 * Pushed blobs and the disk (web/src/server/registry/durability.ts): a blob PUT answers before
 * its fsync, and the manifest that names the blob waits for it. A crash can then leave a blob
 * whose bytes never reached the disk; these tests leave one the way a crash would (the marker
 * that precedes publication still there, the file empty or short) and check that it is never
 * served or relied on under its name: start-up removes it, a manifest naming it is refused
 * until it is pushed again, and a whole one is kept.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";
import { OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, pushBlob, putManifest, req, token } from "./registry-helpers.js";

let b: Instance;
let tok: string;
const REPO = "admin/durable";

const blobFile = (digest: string) => path.join(b.home, "content", "blobs", "sha256", digest.slice(7));
const marker = (digest: string) => path.join(b.home, "content", "unsynced", `sha256-${digest.slice(7)}`);
const markers = () => fs.readdirSync(path.join(b.home, "content", "unsynced"));

async function login(): Promise<void> {
  const t = await token(b.url, [`repository:${REPO}:pull,push`], { user: "admin", pass: b.token });
  expect(t.status).toBe(200);
  tok = t.token;
}

/** What a crash between a blob's publication and its fsync leaves: the marker, and fewer bytes. */
function crashLeftUnflushed(digest: string, keep: number): void {
  fs.writeFileSync(marker(digest), "");
  const whole = fs.readFileSync(blobFile(digest));
  fs.writeFileSync(blobFile(digest), whole.subarray(0, keep));
}

function manifestOf(config: { digest: string; size: number }, layer: { digest: string; size: number }) {
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, ...config },
    layers: [{ mediaType: OCI_LAYER, ...layer }],
  };
}

beforeAll(async () => {
  b = await startInstance();
  await login();
});
afterAll(async () => {
  await b?.stop();
});

describe("pushed blobs reach the disk before a manifest relies on them", () => {
  it("a push leaves no blob unflushed once its manifest is in", async () => {
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
    const layer = randomBytes(3 << 20);
    const c = await pushBlob(b.url, tok, REPO, config);
    const l = await pushBlob(b.url, tok, REPO, layer);
    const put = await putManifest(b.url, tok, REPO, "v1", manifestOf({ digest: c, size: config.length }, { digest: l, size: layer.length }));
    expect(put.status).toBe(201);
    expect(markers()).toEqual([]);
    expect(fs.readFileSync(blobFile(l)).equals(layer)).toBe(true);
  });

  it("a manifest naming a blob a crash left short is refused until the blob is pushed again", async () => {
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: ["sha256:" + "1".repeat(64)] } }));
    const layer = randomBytes(1 << 20);
    const c = await pushBlob(b.url, tok, REPO, config);
    const l = await pushBlob(b.url, tok, REPO, layer);
    // Let the background flush of the real push finish, then leave the state a crash would have.
    for (let i = 0; i < 100 && markers().length; i++) await new Promise((r) => setTimeout(r, 50));
    crashLeftUnflushed(l, 1000);

    const manifest = manifestOf({ digest: c, size: config.length }, { digest: l, size: layer.length });
    const refused = await putManifest(b.url, tok, REPO, "v2", manifest);
    expect(refused.status).toBe(400);
    expect(refused.code).toBe("MANIFEST_BLOB_UNKNOWN");
    expect(refused.body.toString()).toContain(l);
    // Not served under its name, and the client's HEAD tells it to upload again.
    expect((await req(b.url, "GET", `/v2/${REPO}/blobs/${l}`, { token: tok })).status).toBe(404);
    expect((await req(b.url, "HEAD", `/v2/${REPO}/blobs/${l}`, { token: tok })).status).toBe(404);

    await pushBlob(b.url, tok, REPO, layer);
    expect((await putManifest(b.url, tok, REPO, "v2", manifest)).status).toBe(201);
    const got = await req(b.url, "GET", `/v2/${REPO}/blobs/${l}`, { token: tok });
    expect(got.status).toBe(200);
    expect(got.body.equals(layer)).toBe(true);
  });

  it("start-up removes a blob a crash left short and keeps one that reached the disk whole", async () => {
    const short = randomBytes(200_000);
    const whole = randomBytes(150_000);
    const s = await pushBlob(b.url, tok, REPO, short);
    const w = await pushBlob(b.url, tok, REPO, whole);
    for (let i = 0; i < 100 && markers().length; i++) await new Promise((r) => setTimeout(r, 50));
    await b.stop({ keepHome: true });
    crashLeftUnflushed(s, 0);
    fs.writeFileSync(marker(w), "");

    b = await startInstance({ home: b.home });
    await login();
    expect(markers()).toEqual([]);
    expect(fs.existsSync(blobFile(s))).toBe(false);
    expect((await req(b.url, "HEAD", `/v2/${REPO}/blobs/${s}`, { token: tok })).status).toBe(404);
    const got = await req(b.url, "GET", `/v2/${REPO}/blobs/${w}`, { token: tok });
    expect(got.status).toBe(200);
    expect(got.body.equals(whole)).toBe(true);
  });
});
