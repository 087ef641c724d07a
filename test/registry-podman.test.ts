/**
 * podman as a real registry client against Berth's /v2/: push an image made with `podman import`
 * of a small rootfs tar, remove it, pull it back (same image id and manifest digest), pull
 * anonymously once public, and re-push sending no blob again. podman runs with its own fresh
 * --root/--runroot under the test's temp dir, so host state is never touched.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startInstance, type Instance } from "./harness.js";
import { req, sha256, token } from "./registry-helpers.js";

let b: Instance;
let dir: string;
let imageId: string;

/** podman with private storage (vfs: no overlay mounts left behind) and no host config. */
async function podman(args: string[], opts: { allowFail?: boolean } = {}) {
  const r = await run(
    "podman",
    ["--root", path.join(dir, "root"), "--runroot", path.join(dir, "run"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none", ...args],
    { timeoutMs: 120_000, env: { ...process.env, XDG_RUNTIME_DIR: path.join(dir, "xdg"), REGISTRY_AUTH_FILE: path.join(dir, "auth.json") } },
  );
  if (r.code !== 0 && !opts.allowFail) throw new Error(`podman ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return r;
}

const host = () => `127.0.0.1:${b.port}`;

beforeAll(async () => {
  const which = await run("sh", ["-c", "command -v podman"]);
  if (which.code !== 0) throw new Error("podman is not installed: run `scripts/setup.sh --test` (apt-get install podman)");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-podman-"));
  fs.mkdirSync(path.join(dir, "xdg"), { mode: 0o700 });
  fs.writeFileSync(path.join(dir, "auth.json"), '{"auths":{}}\n', { mode: 0o600 });
  // podman must be able to run here at all; if not, fail with its own words.
  const info = await podman(["info", "--format", "{{.Store.GraphDriverName}}"], { allowFail: true });
  if (info.code !== 0) throw new Error(`podman cannot run on this machine: ${info.stderr.trim()}`);
  b = await startInstance();
  const rootfs = path.join(dir, "rootfs");
  fs.mkdirSync(path.join(rootfs, "etc"), { recursive: true });
  fs.writeFileSync(path.join(rootfs, "etc", "hello"), "hello from podman\n");
  const tar = path.join(dir, "rootfs.tar");
  const t = await run("tar", ["-C", rootfs, "-cf", tar, "."]);
  expect(t.code).toBe(0);
  imageId = (await podman(["import", "-q", tar, "localhost/podman-src:1"])).stdout.trim();
  expect(imageId).toMatch(/^(sha256:)?[0-9a-f]{64}$/);
  imageId = imageId.replace(/^sha256:/, "");
}, 180_000);

afterAll(async () => {
  if (dir && fs.existsSync(path.join(dir, "root"))) await podman(["system", "reset", "--force"], { allowFail: true });
  await b?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("podman against Berth", () => {
  it("pushes with --creds through the token realm and pulls back the same image", async () => {
    const creds = `admin:${b.token}`;
    const ref = `${host()}/admin/podman:1`;
    await podman(["push", "--tls-verify=false", "--creds", creds, "localhost/podman-src:1", ref]);
    const tags = await req(b.url, "GET", "/v2/admin/podman/tags/list", { token: (await token(b.url, ["repository:admin/podman:pull"], { user: "admin", pass: b.token })).token });
    expect(tags.json()).toEqual({ name: "admin/podman", tags: ["1"] });

    await podman(["rmi", "-f", "localhost/podman-src:1"]);
    expect((await podman(["image", "exists", imageId], { allowFail: true })).code).not.toBe(0);
    await podman(["pull", "-q", "--tls-verify=false", "--creds", creds, ref]);
    const id = (await podman(["image", "inspect", "--format", "{{.Id}}", ref])).stdout.trim();
    expect(id).toBe(imageId);
    // The manifest podman holds is the one Berth serves, byte for byte.
    const served = await req(b.url, "GET", "/v2/admin/podman/manifests/1", {
      token: (await token(b.url, ["repository:admin/podman:pull"], { user: "admin", pass: b.token })).token,
      headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" },
    });
    expect(served.status).toBe(200);
    const digest = (await podman(["image", "inspect", "--format", "{{.Digest}}", ref])).stdout.trim();
    expect(digest).toBe(sha256(served.body));
    expect(served.headers.get("docker-content-digest")).toBe(digest);
  });

  it("a second push sends no blob again", async () => {
    const uploads = () => b.logs().split("\n").filter((l) => l.includes("registry: blob uploaded")).length;
    const before = uploads();
    expect(before).toBeGreaterThanOrEqual(2);
    await podman(["push", "--tls-verify=false", "--creds", `admin:${b.token}`, `${host()}/admin/podman:1`, `${host()}/admin/podman:2`]);
    expect(uploads()).toBe(before);
  });

  it("refuses anonymous pulls of a private repository, and allows them once it is public", async () => {
    const ref = `${host()}/admin/podman:1`;
    await podman(["rmi", "-f", ref, `${host()}/admin/podman:2`], { allowFail: true });
    const refused = await podman(["pull", "-q", "--tls-verify=false", ref], { allowFail: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/unauthorized|authentication required|denied/i);
    expect((await b.berth(["repo", "set", "admin/podman", "--public"])).code).toBe(0);
    await podman(["pull", "-q", "--tls-verify=false", ref]);
    expect((await podman(["image", "inspect", "--format", "{{.Id}}", ref])).stdout.trim()).toBe(imageId);
  });
});
