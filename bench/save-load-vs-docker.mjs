#!/usr/bin/env node
// `berth save`/`berth load` next to `docker save`/`docker load` of the same image (a root
// filesystem with --size MB of incompressible data), same machine, interleaved. Each side loads
// the archive the *other* side saved, so the numbers also prove interop.
// Needs root and a running dockerd (see run-vs-docker.mjs), a built checkout.
//   node bench/save-load-vs-docker.mjs [--size MB] [--runs N]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./lib/compare.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const sizeMb = arg("--size", 256);
const runs = arg("--runs", 3);
const DOCKER = "/usr/bin/docker";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (spawnSync(DOCKER, ["info"], { stdio: "ignore" }).status !== 0) {
  console.error("bench: dockerd is not running (start it: /usr/sbin/dockerd --iptables=true &)");
  process.exit(1);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-saveload-"));
const home = fs.mkdtempSync(path.join(os.tmpdir(), "berth-bench-"));
const port = 39000 + Math.floor(Math.random() * 1000);
const env = { ...process.env, BERTH_HOME: home, BERTH_PORT: String(port), BERTH_HOST: "127.0.0.1", BERTH_LOG_LEVEL: "warn" };
delete env.REDIS_URL;
delete env.DATABASE_URL;
const server = spawn(process.execPath, [path.join(root, "scripts/start.mjs")], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await (await fetch(`${url}/api/health`)).json()).hostsOnline > 0) break;
  } catch {}
  if (i > 600) throw new Error("berth did not start");
  await sleep(100);
}
const cliEnv = { ...process.env, BERTH_URL: url, BERTH_TOKEN: fs.readFileSync(path.join(home, "admin.token"), "utf8").trim() };
const berth = (...args) => execFileSync(process.execPath, [path.join(root, "cli/bin/berth.js"), ...args], { env: cliEnv, encoding: "utf8", maxBuffer: 1 << 24 });
const docker = (...args) => execFileSync(DOCKER, args, { encoding: "utf8", maxBuffer: 1 << 24 });
const timed = (fn) => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};

const ref = `bench/saveload:${process.pid}`;
try {
  // One root filesystem: busybox plus sizeMb of random files (incompressible: the worst case for gzip).
  const rootfs = path.join(work, "rootfs");
  fs.mkdirSync(path.join(rootfs, "bin"), { recursive: true });
  fs.mkdirSync(path.join(rootfs, "data"));
  fs.copyFileSync("/bin/busybox", path.join(rootfs, "bin/busybox"));
  fs.chmodSync(path.join(rootfs, "bin/busybox"), 0o755);
  fs.symlinkSync("busybox", path.join(rootfs, "bin/sh"));
  for (let i = 0; i < sizeMb / 16; i++) fs.writeFileSync(path.join(rootfs, "data", `blob${i}`), crypto.randomBytes(16 << 20));
  const rootTar = path.join(work, "rootfs.tar");
  execFileSync("tar", ["-C", rootfs, "-cf", rootTar, "."]);
  fs.rmSync(rootfs, { recursive: true, force: true });
  berth("import", rootTar, ref);
  docker("import", rootTar, ref);
  const mb = fs.statSync(rootTar).size / 1e6;
  console.log(`image: one ${mb.toFixed(0)} MB layer (random data); ${runs} runs each, interleaved; ${os.cpus().length} cores`);

  const t = { bs: [], ds: [], bso: [], bl: [], blo: [], dl: [] };
  const bOut = path.join(work, "berth.tar");
  const bOci = path.join(work, "berth-oci.tar");
  const dOut = path.join(work, "docker.tar");
  for (let i = 0; i < runs; i++) {
    for (const f of [bOut, bOci, dOut]) fs.rmSync(f, { force: true });
    t.bs.push(timed(() => berth("save", ref, "-o", bOut)));
    t.ds.push(timed(() => docker("save", ref, "-o", dOut)));
    t.bso.push(timed(() => berth("save", "--format", "oci", ref, "-o", bOci)));
    // each loads what the other saved, into a store without the image
    berth("rmi", ref);
    t.bl.push(timed(() => berth("load", "-i", dOut)));
    berth("rmi", ref);
    t.blo.push(timed(() => berth("load", "-i", bOci)));
    docker("rmi", ref);
    t.dl.push(timed(() => docker("load", "-i", bOut)));
  }
  const row = (name, xs) => ({ name, median_ms: +median(xs).toFixed(0), MB_per_s: +(mb / (median(xs) / 1000)).toFixed(0) });
  console.table([
    row("docker save (docker-archive)", t.ds),
    row("berth save (docker-archive)", t.bs),
    row("berth save --format oci", t.bso),
    row("docker load (of berth's save)", t.dl),
    row("berth load (of docker's save: plain tar, kept plain)", t.bl),
    row("berth load (of its OCI save)", t.blo),
  ]);
} finally {
  spawnSync(DOCKER, ["rmi", "-f", ref], { stdio: "ignore" });
  server.kill("SIGINT");
  await new Promise((r) => server.once("exit", r));
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
}
