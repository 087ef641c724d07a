#!/usr/bin/env node
// `berth push`/`berth pull` Berth→Berth next to `skopeo copy` of a same-sized image, against
// the same Berth registry on loopback. Three instances: A pushes to B's registry, C pulls from
// it (so every transfer moves every byte: each run uses a fresh image of --size MB of
// incompressible data). skopeo pushes an OCI layout of the same size to B and pulls it to an
// OCI dir. Berth's pull also gunzips and checks diff_ids and tar entries; skopeo's does not.
//   node bench/push-pull-vs-skopeo.mjs [--size MB] [--runs N]
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
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
const sizeMb = arg("--size", 100);
const runs = arg("--runs", 3);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-pushpull-"));
const servers = [];

async function instance() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "berth-bench-"));
  const port = 39000 + Math.floor(Math.random() * 5000);
  const env = { ...process.env, BERTH_HOME: home, BERTH_PORT: String(port), BERTH_HOST: "127.0.0.1", BERTH_LOG_LEVEL: "warn" };
  delete env.REDIS_URL;
  delete env.DATABASE_URL;
  const server = spawn(process.execPath, [path.join(root, "scripts/start.mjs")], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"], detached: true });
  servers.push({ server, home });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await (await fetch(`${url}/api/health`)).json()).hostsOnline > 0) break;
    } catch {}
    if (i > 900) throw new Error("berth did not start");
    await sleep(100);
  }
  const token = fs.readFileSync(path.join(home, "admin.token"), "utf8").trim();
  const cliEnv = { ...process.env, BERTH_URL: url, BERTH_TOKEN: token, BERTH_HOME: home };
  const berth = (...args) => execFileSync(process.execPath, [path.join(root, "cli/bin/berth.js"), ...args], { env: cliEnv, encoding: "utf8", maxBuffer: 1 << 24 });
  return { host: `127.0.0.1:${port}`, token, berth };
}

const timed = (fn) => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const sha = (b) => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

function rootfsTar(n) {
  const dir = path.join(work, `rootfs-${n}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "data.bin"), crypto.randomBytes(sizeMb << 20));
  const tar = path.join(work, `rootfs-${n}.tar`);
  execFileSync("tar", ["-C", dir, "-cf", tar, "."]);
  fs.rmSync(dir, { recursive: true });
  return tar;
}

function ociLayout(n) {
  const tar = fs.readFileSync(rootfsTar(`sk-${n}`));
  const layer = gzipSync(tar, { level: 1 });
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha(tar)] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(layer), size: layer.length }],
    }),
  );
  const dir = path.join(work, `layout-${n}`);
  fs.mkdirSync(path.join(dir, "blobs", "sha256"), { recursive: true });
  for (const b of [layer, config, manifest]) fs.writeFileSync(path.join(dir, "blobs", "sha256", sha(b).slice(7)), b);
  fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  fs.writeFileSync(path.join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: sha(manifest), size: manifest.length, annotations: { "org.opencontainers.image.ref.name": "1" } }] }));
  return dir;
}

try {
  const [a, b, c] = await Promise.all([instance(), instance(), instance()]);
  const creds = `admin:${b.token}`;
  const res = { berthPush: [], berthPull: [], skopeoPush: [], skopeoPull: [], berthRepush: [] };
  for (let i = 0; i < runs; i++) {
    const tar = rootfsTar(i);
    a.berth("import", tar, `bench:${i}`);
    fs.rmSync(tar);
    const ref = `${b.host}/admin/bench:${i}`;
    a.berth("tag", `bench:${i}`, ref);
    res.berthPush.push(timed(() => a.berth("push", ref, "--creds", creds)));
    res.berthRepush.push(timed(() => a.berth("push", ref, "--creds", creds)));
    res.berthPull.push(timed(() => c.berth("pull", ref, "--creds", creds)));
    const layout = ociLayout(i);
    const skRef = `docker://${b.host}/admin/sk${i}:1`;
    res.skopeoPush.push(timed(() => execFileSync("skopeo", ["--insecure-policy", "copy", "-q", "--dest-creds", creds, "--dest-tls-verify=false", `oci:${layout}:1`, skRef])));
    res.skopeoPull.push(timed(() => execFileSync("skopeo", ["--insecure-policy", "copy", "-q", "--src-creds", creds, "--src-tls-verify=false", skRef, `oci:${path.join(work, `out-${i}`)}:1`])));
    fs.rmSync(layout, { recursive: true });
    fs.rmSync(path.join(work, `out-${i}`), { recursive: true });
  }
  const m = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, Math.round(median(v))]));
  console.log(JSON.stringify({ sizeMb, runs, medianMs: m, ratio: { push: +(m.berthPush / m.skopeoPush).toFixed(2), pull: +(m.berthPull / m.skopeoPull).toFixed(2) }, raw: res }, null, 2));
} finally {
  for (const { server } of servers) {
    try {
      process.kill(-server.pid, "SIGINT");
    } catch {}
  }
  await sleep(8000);
  for (const { home } of servers) fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
}
