/**
 * One garbage collector for the content store: `image prune` (the worker's job) and the
 * registry's clean-up (`repo gc`) sweep with the same marks, so neither takes what the other
 * side still uses, and both take what nobody does.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";
import { pushImage, req, token } from "./registry-helpers.js";
import { trpc } from "./trpc.js";

let b: Instance;
let tok: string;

beforeAll(async () => {
  b = await startInstance();
  const t = await token(b.url, ["repository:admin/gc-reg:pull,push,delete", "repository:admin/gc-own:pull,push,delete"], { user: "admin", pass: b.token });
  expect(t.status).toBe(200);
  tok = t.token;
}, 180_000);
afterAll(async () => {
  await b?.stop();
}, 120_000);

const blobFile = (digest: string) => {
  const [algorithm, hex] = digest.split(":") as [string, string];
  return path.join(b.home, "content", "blobs", algorithm, hex);
};
const exists = (digest: string) => fs.existsSync(blobFile(digest));

/** Every blob file looks two hours old: past any grace period, so only references keep a blob. */
function ageAllBlobs(): void {
  const then = new Date(Date.now() - 2 * 3600_000);
  for (const algorithm of ["sha256", "sha512"]) {
    const dir = path.join(b.home, "content", "blobs", algorithm);
    for (const f of fs.readdirSync(dir)) fs.utimesSync(path.join(dir, f), then, then);
  }
}

/** A blob file no image, repository or manifest names. */
function strayBlob(algorithm: "sha256" | "sha512"): string {
  const data = randomBytes(256);
  const digest = `${algorithm}:${createHash(algorithm).update(data).digest("hex")}`;
  fs.writeFileSync(blobFile(digest), data);
  return digest;
}

async function berthOk(args: string[]): Promise<string> {
  const r = await b.berth(args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`berth ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe("content store garbage collection", () => {
  it("image prune keeps what only a registry manifest names; repo gc keeps what only a local image uses; both sweep the unreferenced", async () => {
    // A registry image whose blobs' repository rows are deleted: only its manifest names them now.
    const img = await pushImage(b.url, tok, "admin/gc-reg", "1");
    const { config, layers } = JSON.parse(img.manifest.toString()) as { config: { digest: string }; layers: { digest: string }[] };
    const byManifest = [img.digest, config.digest, layers[0]!.digest];
    for (const d of [config.digest, layers[0]!.digest]) expect((await req(b.url, "DELETE", `/v2/admin/gc-reg/blobs/${d}`, { token: tok })).status).toBe(202);

    // The local busybox image, pushed once (which leaves a gzip copy of its plain layer beside it),
    // then deleted from the registry: the copy is the local image's alone.
    const host = `127.0.0.1:${b.port}`;
    await berthOk(["tag", "busybox", `${host}/admin/gc-own:1`]);
    await berthOk(["push", `${host}/admin/gc-own:1`]);
    await berthOk(["rmi", `${host}/admin/gc-own:1`]);
    const pushed = await req(b.url, "GET", "/v2/admin/gc-own/manifests/1", { token: tok, headers: { accept: "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json" } });
    expect(pushed.status).toBe(200);
    const ownManifest = pushed.json() as { config: { digest: string }; layers: { digest: string }[] };
    const gzipCopies = ownManifest.layers.map((l) => l.digest);
    const compressedDir = path.join(b.home, "content", "compressed");
    const remembered = fs.readdirSync(compressedDir).map((f) => (JSON.parse(fs.readFileSync(path.join(compressedDir, f), "utf8")) as { digest: string }).digest);
    expect(gzipCopies.length).toBeGreaterThan(0);
    for (const d of gzipCopies) expect(remembered).toContain(d);
    expect((await req(b.url, "DELETE", `/v2/admin/gc-own/manifests/${pushed.headers.get("docker-content-digest")}`, { token: tok })).status).toBe(202);
    for (const d of [ownManifest.config.digest, ...gzipCopies]) expect((await req(b.url, "DELETE", `/v2/admin/gc-own/blobs/${d}`, { token: tok })).status).toBe(202);
    const made = b.logs().split("\n").find((l) => l.includes('"msg":"created busybox:latest"'));
    const busybox = JSON.parse(made!) as { image: string; layer: string };
    const byLocalImage = [busybox.image, busybox.layer, ...gzipCopies];

    // image prune (what `system prune` runs too): the worker's sweep.
    const stray = [strayBlob("sha256"), strayBlob("sha512")];
    ageAllBlobs();
    const prune = await trpc<{ spaceReclaimed: number }>(b.url, b.token, "image.prune", { all: false }, "mutation");
    expect(prune.status, JSON.stringify(prune.error)).toBe(200);
    for (const d of [...byManifest, ...byLocalImage]) expect(exists(d), `${d} survives image prune`).toBe(true);
    for (const d of stray) expect(exists(d), `${d} is swept by image prune`).toBe(false);
    expect(prune.data!.spaceReclaimed).toBeGreaterThanOrEqual(512);

    // The registry's own clean-up: web's sweep.
    const stray2 = [strayBlob("sha256"), strayBlob("sha512")];
    ageAllBlobs();
    const gc = await trpc<{ removed: number }>(b.url, b.token, "repo.gc", { graceSeconds: 0 }, "mutation");
    expect(gc.status, JSON.stringify(gc.error)).toBe(200);
    for (const d of [...byManifest, ...byLocalImage]) expect(exists(d), `${d} survives the registry's clean-up`).toBe(true);
    for (const d of stray2) expect(exists(d), `${d} is swept by the registry's clean-up`).toBe(false);
    expect(gc.data!.removed).toBe(2);

    // And the image still runs from what was kept.
    expect(await berthOk(["run", "--rm", "busybox", "echo", "still whole"])).toContain("still whole");
  });
});
