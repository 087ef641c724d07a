import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { until } from "./lifecycle-helpers.js";
import { pushBlob, req, sha256, token } from "./registry-helpers.js";

// Nothing half-done lingers: an upload web died receiving is gone once web is back, and a
// registry upload nobody finishes is swept after the (here shortened) idle timeout.
const b = useInstance({ env: { BERTH_UPLOAD_IDLE_TIMEOUT_MS: "3000" } });

/** This instance's web server process (BERTH_HOME in its environment). */
function webPid(home: string): number | undefined {
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("web/dist/server.js")) continue;
      if (fs.readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${home}`)) return Number(p);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

const buildsDir = () => path.join(b.home, "builds");
const leftovers = () => (fs.existsSync(buildsDir()) ? fs.readdirSync(buildsDir()) : []);

it("an image upload cut off by web's death (kill -9) is removed when web starts again", async () => {
  const before = webPid(b.home);
  expect(before).toBeDefined();
  const { port } = new URL(b.url);
  // A 57 MB-style upload that never ends: 4 MiB sent, then the client just waits.
  const upload = http.request({ host: "127.0.0.1", port, method: "POST", path: "/api/images/load", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/x-tar", "transfer-encoding": "chunked" } });
  upload.on("error", () => undefined); // the server is about to die under it
  upload.write(randomBytes(4 << 20));
  await until("the upload to reach builds/", () => leftovers().length > 0 && fs.statSync(path.join(buildsDir(), leftovers()[0]!)).size > 0);
  const partial = leftovers();

  process.kill(before!, "SIGKILL");
  upload.destroy();
  await until("web to be started again", () => {
    const pid = webPid(b.home);
    return pid !== undefined && pid !== before;
  });
  await until("web to answer again", async () => (await fetch(`${b.url}/api/health`).catch(() => undefined))?.ok === true);
  for (const name of partial) expect(fs.existsSync(path.join(buildsDir(), name)), name).toBe(false);
  // And uploads still work after it.
  expect((await b.berth(["run", "--rm", "busybox", "true"])).code).toBe(0);
}, 120_000);

it("a registry upload nobody finishes is swept after the idle timeout: its row and its bytes", async () => {
  const tok = (await token(b.url, ["repository:admin/leftover:pull,push"], { user: "admin", pass: b.token })).token;
  const post = await req(b.url, "POST", "/v2/admin/leftover/blobs/uploads/", { token: tok });
  expect(post.status).toBe(202);
  const loc = post.headers.get("location")!;
  const id = post.headers.get("docker-upload-uuid")!;
  const half = await req(b.url, "PATCH", loc, { token: tok, body: randomBytes(1500), headers: { "content-range": "0-1499" } });
  expect(half.status).toBe(202);
  const bytes = path.join(b.home, "content", "uploads", id);
  expect(fs.statSync(bytes).size).toBe(1500);

  // ... and the client goes away.
  await until("the abandoned upload's bytes to be swept", () => !fs.existsSync(bytes), 60_000);
  const status = await req(b.url, "GET", loc, { token: tok });
  expect(status.status).toBe(404);
  expect(status.code).toBe("BLOB_UPLOAD_UNKNOWN");
}, 120_000);

it("a registry blob upload cut off by web's death (kill -9) publishes nothing: no blob, and the upload cannot be finished with the full digest", async () => {
  const before = webPid(b.home);
  expect(before).toBeDefined();
  const tok = (await token(b.url, ["repository:admin/crash:pull,push"], { user: "admin", pass: b.token })).token;
  const layer = randomBytes(24 << 20);
  const digest = sha256(layer);
  const post = await req(b.url, "POST", "/v2/admin/crash/blobs/uploads/", { token: tok });
  expect(post.status).toBe(202);
  const loc = post.headers.get("location")!;
  const id = post.headers.get("docker-upload-uuid")!;
  const { port } = new URL(b.url);
  // The first 8 MiB of the layer in one streamed PATCH, which then never ends.
  const patch = http.request({ host: "127.0.0.1", port, method: "PATCH", path: loc, headers: { authorization: `Bearer ${tok}`, "content-type": "application/octet-stream", "transfer-encoding": "chunked" } });
  patch.on("error", () => undefined); // the server is about to die under it
  patch.write(layer.subarray(0, 8 << 20));
  const bytes = path.join(b.home, "content", "uploads", id);
  await until("the upload's bytes to reach the disk", () => fs.existsSync(bytes) && fs.statSync(bytes).size > 0);

  process.kill(before!, "SIGKILL");
  patch.destroy();
  await until("web to be started again", () => {
    const pid = webPid(b.home);
    return pid !== undefined && pid !== before;
  });
  await until("web to answer again", async () => (await fetch(`${b.url}/api/health`).catch(() => undefined))?.ok === true);

  const blobFile = path.join(b.home, "content", "blobs", "sha256", digest.slice(7));
  expect(fs.existsSync(blobFile)).toBe(false);
  expect((await req(b.url, "HEAD", `/v2/admin/crash/blobs/${digest}`, { token: tok })).status).toBe(404);
  // Finishing the cut-off upload with the whole layer's digest is refused (its bytes are a prefix, or already swept).
  const put = await req(b.url, "PUT", `${loc}?digest=${digest}`, { token: tok });
  expect(put.status).toBeGreaterThanOrEqual(400);
  expect(["DIGEST_INVALID", "BLOB_UPLOAD_UNKNOWN"]).toContain(put.code);
  expect(fs.existsSync(blobFile)).toBe(false);
  // The whole layer pushed again is published byte for byte.
  expect(await pushBlob(b.url, tok, "admin/crash", layer)).toBe(digest);
  const got = await req(b.url, "GET", `/v2/admin/crash/blobs/${digest}`, { token: tok });
  expect(got.status).toBe(200);
  expect(got.body.equals(layer)).toBe(true);
}, 120_000);
