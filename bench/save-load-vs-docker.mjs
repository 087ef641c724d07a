#!/usr/bin/env node
// `berth save`/`berth load` next to `docker save`/`docker load` of the same image (a root
// filesystem with --size MB of incompressible data), same machine, interleaved. Each side loads
// the archive the *other* side saved, so the numbers also prove interop.
// Needs root and a running dockerd (see run-vs-docker.mjs), a built checkout.
//   node bench/save-load-vs-docker.mjs [--size MB] [--runs N]
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { median } from "./lib/compare.mjs";
import { DOCKER, arg, docker, ensureDocker, startBerth, timed } from "./lib/instances.mjs";

const sizeMb = arg("--size", 256);
const runs = arg("--runs", 3);

await ensureDocker({ start: false, busybox: false });
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-saveload-"));
const server = await startBerth();
const { berth } = server;

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
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
