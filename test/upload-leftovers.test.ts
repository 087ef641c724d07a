import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { until } from "./lifecycle-helpers.js";
import { req, token } from "./registry-helpers.js";

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
