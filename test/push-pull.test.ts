/**
 * The registry client, Berth to Berth: A pushes busybox to B's registry (only missing layers,
 * digests as skopeo sees them), B pulls it and runs it, A pulls it back after rmi with the
 * credentials `berth login REGISTRY` stored; a private repository without credentials, an
 * unknown digest and a registry serving tampered bytes all fail cleanly, leaving no tag and
 * no blob. A flaky registry (a 500, then a dropped connection) is retried.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { gunzipSync, gzipSync } from "node:zlib";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, run, startInstance, type Instance } from "./harness.js";
import { OCI_INDEX, OCI_MANIFEST, sha256, writeOciLayout } from "./registry-helpers.js";

let a: Instance;
let b: Instance;
let dir: string;
let fake: http.Server;
let fakeHost: string;
const fakeLog: string[] = [];
let img: ReturnType<typeof writeOciLayout>;
/** A second image, served by x/bad with its layer's bytes tampered. */
let img2: ReturnType<typeof writeOciLayout>;
const flaky = { layerFailures: 0 };

const bHost = () => `127.0.0.1:${b.port}`;
const blob = (d: string, which = "img") => fs.readFileSync(path.join(dir, which, "layout", "blobs", "sha256", d.slice(7)));

/** A minimal registry without auth: x/good (an index → the manifest), x/bad (its layer bytes tampered), x/flaky. */
function startFake(): Promise<void> {
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: img.manifestDigest, size: blob(img.manifestDigest).length, platform: { os: "windows", architecture: "amd64" } },
        { mediaType: OCI_MANIFEST, digest: img.manifestDigest, size: blob(img.manifestDigest).length, platform: { os: "linux", architecture: "amd64" } },
        { mediaType: OCI_MANIFEST, digest: img.manifestDigest, size: blob(img.manifestDigest).length, platform: { os: "linux", architecture: "arm64" } },
      ],
    }),
  );
  fake = http.createServer((req, res) => {
    fakeLog.push(`${req.method} ${req.url}`);
    const m = /^\/v2\/x\/(good|bad|flaky)\/(manifests|blobs)\/(.+)$/.exec(req.url ?? "");
    if (req.url === "/v2/") return void res.writeHead(200).end("{}");
    if (!m) return void res.writeHead(404).end();
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    if (kind === "manifests") {
      const body = repo === "bad" ? (ref === "1" ? blob(img2.manifestDigest, "img2") : undefined) : ref === "1" ? index : ref === img.manifestDigest ? blob(img.manifestDigest) : undefined;
      if (!body) return void res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "unknown" }] }));
      return void res.writeHead(200, { "content-type": ref === "1" ? OCI_INDEX : OCI_MANIFEST, "docker-content-digest": sha256(body) }).end(body);
    }
    let data = blob(ref, repo === "bad" ? "img2" : "img");
    if (ref === img2.layerDigest && repo === "bad") data = gzipSync(gunzipSync(data), { level: 1 }); // same files, other bytes
    if (ref === img.layerDigest && repo === "flaky" && flaky.layerFailures < 2) {
      flaky.layerFailures++;
      if (flaky.layerFailures === 1) return void res.writeHead(500).end("boom");
      // Second: the connection drops half way through the body.
      res.writeHead(200, { "content-length": data.length });
      res.write(data.subarray(0, data.length >> 1));
      return void setImmediate(() => res.socket?.destroy());
    }
    res.writeHead(200, { "content-length": data.length }).end(data);
  });
  return new Promise((resolve) =>
    fake.listen(0, "127.0.0.1", () => {
      fakeHost = `127.0.0.1:${(fake.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

async function ok(i: Instance, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await i.berth(args, { timeoutMs: 120_000, ...(env ? { env } : {}) });
  if (r.code !== 0) throw new Error(`berth ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}\n--- instance log (tail):\n${i.logs().slice(-4000)}`);
  return r.stdout;
}

async function tags(i: Instance): Promise<string[]> {
  const out = await ok(i, ["images"]);
  return out.split("\n").slice(1).filter(Boolean).map((l) => l.split(/\s+/)).map(([repo, tag]) => `${repo}:${tag}`);
}

const blobFiles = (i: Instance) => fs.readdirSync(path.join(i.home, "content", "blobs", "sha256"));
const ingestFiles = (i: Instance) => fs.readdirSync(path.join(i.home, "content", "ingest"));

beforeAll(async () => {
  const which = await run("sh", ["-c", "command -v skopeo"]);
  if (which.code !== 0) throw new Error("skopeo is not installed: run `scripts/setup.sh --test` (apt-get install skopeo)");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-pushpull-"));
  img = writeOciLayout(path.join(dir, "img"), "1", { "etc/fake": "from the fake registry\n" });
  img2 = writeOciLayout(path.join(dir, "img2"), "1", { "etc/fake": "tampered on the way\n" });
  await startFake();
  [a, b] = await Promise.all([startInstance(), startInstance()]);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([a?.stop(), b?.stop()]);
  fake?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe("berth push / pull between two instances", () => {
  let digest: string;

  it("pushes busybox from A to B's registry, with the digest skopeo sees", async () => {
    await ok(a, ["tag", "busybox", `${bHost()}/admin/bb:1`]);
    const out = await ok(a, ["push", `${bHost()}/admin/bb:1`, "--creds", `admin:${b.token}`]);
    expect(out).toContain(`The push refers to repository [${bHost()}/admin/bb]`);
    expect(out).toMatch(/^[0-9a-f]{12}: Pushed$/m);
    const m = /^1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/m.exec(out);
    expect(m).not.toBeNull();
    digest = m![1]!;
    const raw = await run("skopeo", ["inspect", "--raw", "--creds", `admin:${b.token}`, "--tls-verify=false", `docker://${bHost()}/admin/bb:1`], { timeoutMs: 60_000 });
    expect(raw.code).toBe(0);
    expect(sha256(Buffer.from(raw.stdout))).toBe(digest);
    expect(Buffer.byteLength(raw.stdout)).toBe(Number(m![2]));
  });

  it("pushing again sends no layer: they already exist", async () => {
    const out = await ok(a, ["push", `${bHost()}/admin/bb:1`, "--creds", `admin:${b.token}`]);
    expect(out).toMatch(/^[0-9a-f]{12}: Layer already exists$/m);
    expect(out).not.toMatch(/: Pushed$/m);
    expect(out).toContain(`digest: ${digest}`);
  });

  it("pushing to another repository mounts the layers from the first", async () => {
    await ok(a, ["tag", "busybox", `${bHost()}/admin/bb2:1`]);
    const out = await ok(a, ["push", `${bHost()}/admin/bb2:1`, "--creds", `admin:${b.token}`]);
    expect(out).toMatch(/^[0-9a-f]{12}: Mounted from admin\/bb$/m);
    expect(out).not.toMatch(/: Pushed$/m);
    expect(out).toContain(`digest: ${digest}`);
  });

  it("B pulls from its own registry and runs the image", async () => {
    const out = await ok(b, ["pull", `${bHost()}/admin/bb:1`, "--creds", `admin:${b.token}`]);
    expect(out).toContain(`Digest: ${digest}`);
    expect(out.trim().split("\n").at(-1)).toBe(`${bHost()}/admin/bb:1`);
    const r = await ok(b, ["run", "--rm", `${bHost()}/admin/bb:1`, "echo", "ok"]);
    expect(r).toBe("ok\n");
  });

  it("a private repository without credentials fails clearly, leaving no tag", async () => {
    await ok(a, ["rmi", `${bHost()}/admin/bb:1`]);
    const r = await a.berth(["pull", `${bHost()}/admin/bb:1`], { timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/pull access denied for 127\.0\.0\.1:\d+\/admin\/bb, repository does not exist or may require 'berth login/);
    expect(await tags(a)).not.toContain(`${bHost()}/admin/bb:1`);
  });

  it("A pulls it back with the credentials `berth login REGISTRY` stored, and runs it", async () => {
    const xdg = path.join(dir, "xdg");
    const env = { ...process.env, BERTH_URL: a.url, BERTH_TOKEN: a.token, BERTH_HOME: a.home, XDG_CONFIG_HOME: xdg };
    const login = spawnSync(process.execPath, [path.join(ROOT, "cli/bin/berth.js"), "login", bHost(), "-u", "admin", "--password-stdin"], { input: b.token, env, encoding: "utf8" });
    expect(login.stderr).toBe("");
    expect(login.stdout).toBe("Login Succeeded\n");
    const out = await ok(a, ["pull", `${bHost()}/admin/bb:1`], { XDG_CONFIG_HOME: xdg });
    expect(out).toContain(`Digest: ${digest}`);
    expect(await tags(a)).toContain(`${bHost()}/admin/bb:1`);
    expect(await ok(a, ["run", "--rm", `${bHost()}/admin/bb:1`, "echo", "ok"])).toBe("ok\n");
  });

  it("an unknown digest fails cleanly", async () => {
    const ref = `${bHost()}/admin/bb@sha256:${"0".repeat(64)}`;
    const r = await a.berth(["pull", ref, "--creds", `admin:${b.token}`], { timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/repository does not exist|MANIFEST_UNKNOWN|not found/i);
  });
});

describe("berth pull from another registry", () => {
  it("resolves an index to linux/<arch>, verifies and stores the image", async () => {
    const out = await ok(a, ["pull", `${fakeHost}/x/good:1`]);
    expect(out).toMatch(/: Pull complete$/m);
    expect(await tags(a)).toContain(`${fakeHost}/x/good:1`);
    expect(blobFiles(a)).toContain(img.layerDigest.slice(7));
    expect(fakeLog).toContain(`GET /v2/x/good/manifests/${img.manifestDigest}`);
  });

  it("a layer whose bytes do not match its digest fails the pull: no tag, no blob", async () => {
    const before = blobFiles(a);
    const r = await a.berth(["pull", `${fakeHost}/x/bad:1`], { timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/digest mismatch/);
    expect(await tags(a)).not.toContain(`${fakeHost}/x/bad:1`);
    expect(blobFiles(a).filter((f) => !before.includes(f))).toEqual([]);
    expect(ingestFiles(a)).toEqual([]);
  });

  it("retries a 500 and a dropped connection", async () => {
    // B has never seen this layer: it downloads it, through both failures.
    const out = await ok(b, ["pull", `${fakeHost}/x/flaky:1`]);
    expect(flaky.layerFailures).toBe(2);
    expect(out).toMatch(/Retrying \(1\)/);
    expect(out).toMatch(/: Pull complete$/m);
    expect(await tags(b)).toContain(`${fakeHost}/x/flaky:1`);
  });
});
