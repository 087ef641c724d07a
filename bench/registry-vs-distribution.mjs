#!/usr/bin/env node
// Berth's registry next to the reference one (Debian's `docker-registry`, distribution 2.8),
// both on loopback in the same run, with the same client: `skopeo copy` of a --size MB image
// (--layers layers of random, incompressible data in an OCI layout made here). Per round, a
// fresh image (so no blob is known anywhere, and skopeo cannot cross-mount), then for each
// registry, in alternating order: push (every byte), re-push to a new tag (every blob exists),
// pull to a fresh OCI dir. A warm-up round first; medians and ratios Berth/distribution.
// Bytes the client sent on the re-push are counted through a loopback TCP proxy in an extra,
// untimed re-push. distribution runs without auth; Berth with its token auth (skopeo does the
// realm handshake), so Berth does strictly more work per request.
//   node bench/registry-vs-distribution.mjs [--size MB] [--layers N] [--runs N] [--warmup N]
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { median } from "./lib/compare.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const sizeMb = arg("--size", 200);
const layers = arg("--layers", 4);
const runs = arg("--runs", 3);
const warmup = arg("--warmup", 1);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha = (b) => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-registry-"));
const children = [];

for (const bin of ["skopeo", "docker-registry"]) {
  if (spawnSync("sh", ["-c", `command -v ${bin}`]).status !== 0) throw new Error(`${bin} is missing: apt-get install ${bin === "skopeo" ? "skopeo" : "docker-registry"}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitFor(url, ok, what) {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(url);
      if (await ok(res)) return;
    } catch {}
    if (i > 900) throw new Error(`${what} did not start`);
    await sleep(100);
  }
}

async function startBerth() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "berth-bench-"));
  const port = await freePort();
  // Its own edge port too: another Berth on this host (a second bench, a test) holds the default 8000.
  const env = { ...process.env, BERTH_HOME: home, BERTH_PORT: String(port), BERTH_EDGE_PORT: String(await freePort()), BERTH_HOST: "127.0.0.1", BERTH_LOG_LEVEL: "warn" };
  delete env.REDIS_URL;
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [path.join(root, "scripts/start.mjs")], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"], detached: true });
  children.push({ child, dir: home, group: true });
  await waitFor(`http://127.0.0.1:${port}/api/health`, async (r) => (await r.json()).hostsOnline > 0, "berth");
  const token = fs.readFileSync(path.join(home, "admin.token"), "utf8").trim();
  return { name: "berth", port, repo: "admin/bench", creds: ["--dest-creds", `admin:${token}`], srcCreds: ["--src-creds", `admin:${token}`] };
}

async function startDistribution() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "distribution-bench-"));
  const port = await freePort();
  const config = path.join(dir, "config.yml");
  fs.writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  cache:",
      "    blobdescriptor: inmemory",
      "  filesystem:",
      `    rootdirectory: ${path.join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "",
    ].join("\n"),
  );
  const child = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "inherit"], detached: true });
  children.push({ child, dir, group: true });
  await waitFor(`http://127.0.0.1:${port}/v2/`, async (r) => r.status === 200, "docker-registry");
  return { name: "distribution", port, repo: "bench/bench", creds: [], srcCreds: [] };
}

/** An OCI layout of `layers` gzip layers, each a tar of one file of random data. */
function ociLayout(n) {
  const dir = path.join(work, `layout-${n}`);
  fs.mkdirSync(path.join(dir, "blobs", "sha256"), { recursive: true });
  const descs = [];
  const diffIds = [];
  const per = Math.floor((sizeMb << 20) / layers);
  for (let l = 0; l < layers; l++) {
    const stage = path.join(work, `stage-${n}-${l}`);
    fs.mkdirSync(stage);
    fs.writeFileSync(path.join(stage, `data-${l}.bin`), crypto.randomBytes(per));
    const tar = spawnSync("tar", ["-C", stage, "-cf", "-", "."], { maxBuffer: per + (1 << 20) }).stdout;
    fs.rmSync(stage, { recursive: true });
    const gz = gzipSync(tar, { level: 1 });
    fs.writeFileSync(path.join(dir, "blobs", "sha256", sha(gz).slice(7)), gz);
    descs.push({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(gz), size: gz.length });
    diffIds.push(sha(tar));
  }
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: diffIds } }));
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length }, layers: descs }),
  );
  for (const b of [config, manifest]) fs.writeFileSync(path.join(dir, "blobs", "sha256", sha(b).slice(7)), b);
  fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  fs.writeFileSync(path.join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: sha(manifest), size: manifest.length, annotations: { "org.opencontainers.image.ref.name": "1" } }] }));
  return { dir, bytes: descs.reduce((a, d) => a + d.size, 0) + config.length + manifest.length };
}

function skopeo(args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn("skopeo", ["--insecure-policy", "copy", "-q", ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("exit", (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`skopeo copy ${args.join(" ")} exited ${code}: ${err}`))));
  });
}

/** A loopback TCP proxy to `port` counting the bytes the client sends. */
async function countingProxy(port) {
  let sent = 0;
  const server = net.createServer((c) => {
    const up = net.connect(port, "127.0.0.1");
    c.on("data", (d) => (sent += d.length));
    c.pipe(up).pipe(c);
    c.on("error", () => up.destroy());
    up.on("error", () => c.destroy());
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { port: server.address().port, sent: () => sent, close: () => new Promise((r) => server.close(r)) };
}

const ref = (reg, tag, port = reg.port) => `docker://127.0.0.1:${port}/${reg.repo}:${tag}`;

try {
  const regs = await Promise.all([startDistribution(), startBerth()]);
  const res = Object.fromEntries(regs.map((r) => [r.name, { push: [], repush: [], pull: [], repushBytes: [] }]));
  let imageBytes = 0;
  for (let i = 0; i < warmup + runs; i++) {
    const layout = ociLayout(i);
    imageBytes = layout.bytes;
    const order = i % 2 ? [...regs].reverse() : regs;
    for (const reg of order) {
      const src = `oci:${layout.dir}:1`;
      const push = await skopeo([...reg.creds, "--dest-tls-verify=false", src, ref(reg, `r${i}`)]);
      const repush = await skopeo([...reg.creds, "--dest-tls-verify=false", src, ref(reg, `r${i}-again`)]);
      const out = path.join(work, `out-${reg.name}-${i}`);
      const pull = await skopeo([...reg.srcCreds, "--src-tls-verify=false", ref(reg, `r${i}`), `oci:${out}:1`]);
      fs.rmSync(out, { recursive: true, force: true });
      // Untimed: the same re-push once more through a counting proxy.
      const proxy = await countingProxy(reg.port);
      await skopeo([...reg.creds, "--dest-tls-verify=false", src, ref(reg, `r${i}-counted`, proxy.port)]);
      await proxy.close();
      if (i >= warmup) {
        const r = res[reg.name];
        r.push.push(push);
        r.repush.push(repush);
        r.pull.push(pull);
        r.repushBytes.push(proxy.sent());
      }
    }
    fs.rmSync(layout.dir, { recursive: true, force: true });
  }
  const med = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([s, xs]) => [s, Math.round(median(xs))]))]));
  const ratio = Object.fromEntries(["push", "repush", "pull", "repushBytes"].map((s) => [s, +(med.berth[s] / med.distribution[s]).toFixed(2)]));
  console.log(JSON.stringify({ imageMb: +(imageBytes / (1 << 20)).toFixed(1), layers, runs, warmup, medianMs: { distribution: med.distribution, berth: med.berth }, ratioBerthToDistribution: ratio, raw: res }, null, 2));
} finally {
  for (const { child } of children) {
    try {
      process.kill(-child.pid, "SIGINT");
    } catch {}
  }
  await Promise.all(children.map(({ child }) => (child.exitCode === null ? Promise.race([new Promise((r) => child.once("exit", r)), sleep(30000)]) : null)));
  for (const { dir } of children) fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
}
