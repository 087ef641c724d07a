#!/usr/bin/env node
// Copy-on-write volume snapshots (`berth volume create NEW --from SRC`) for a 1 KiB, a 100 MiB
// and a 1 GiB volume, next to the naive copy (`cp -a` of the same data) in the same run.
// Goal: a snapshot in well under a second, independent of the data's size.
//
// Each timed snapshot is a volume's first (the one that freezes its data into a shared layer,
// by a rename), so every run gets a fresh source volume. Filling it is not timed: the data is
// written once per size (a file of that size made of a random 1 MiB block repeated, plus a few
// small files) and hard-linked into each run's volume (`cp -al`); the freeze renames the
// directory and never reads a file, so links or copies make no difference to it, while `cp -a`
// reads and writes every byte (from a warm page cache). Timed through the CLI as a user runs it
// (process start included) and through the tRPC API the CLI calls (the engine alone).
// Needs root and a built checkout.
//   node bench/cow-volume.mjs [--runs N] [--warmup N]
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { median } from "./lib/compare.mjs";
import { arg, startBerth, timed } from "./lib/instances.mjs";

const runs = arg("--runs", 5);
const warmup = arg("--warmup", 1);
const SIZES = [
  { label: "1 KiB", bytes: 1024 },
  { label: "100 MiB", bytes: 100 * 2 ** 20 },
  { label: "1 GiB", bytes: 2 ** 30 },
];

/** `dir` holding a file of `bytes` (a random 1 MiB block repeated) and three small files. */
function makeData(dir, bytes) {
  fs.mkdirSync(path.join(dir, "etc"), { recursive: true });
  for (const n of ["a", "b", "c"]) fs.writeFileSync(path.join(dir, "etc", n), `${n}\n`);
  const block = crypto.randomBytes(Math.min(bytes, 2 ** 20));
  const fd = fs.openSync(path.join(dir, "data.bin"), "w");
  for (let done = 0; done < bytes; done += block.length) fs.writeSync(fd, block, 0, Math.min(block.length, bytes - done));
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-cow-"));
const server = await startBerth();
const { berth } = server;
const mountpoint = (v) => JSON.parse(berth("volume", "inspect", v))[0].Mountpoint;

async function apiSnapshot(name, from) {
  const res = await fetch(`${server.url}/api/trpc/volume.create`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" },
    body: JSON.stringify({ name, from }),
  });
  if (!res.ok) throw new Error(`volume.create --from ${from}: HTTP ${res.status} ${await res.text()}`);
}

/** A plain volume holding `data`'s files (hard links: filling is not what is measured). */
function freshSource(name, data) {
  berth("volume", "create", name);
  execFileSync("cp", ["-al", `${data}/.`, `${mountpoint(name)}/`]);
}

const rows = [];
try {
  console.log(`${os.cpus().length} cores; ${runs} runs after ${warmup} warm-up; volumes under ${server.home} (${execFileSync("stat", ["-f", "-c", "%T", server.home], { encoding: "utf8" }).trim()})`);
  // One untimed snapshot first: the first of a run pays web's and the worker's cold paths.
  berth("volume", "create", "warm");
  berth("volume", "create", "warm-snap", "--from", "warm");
  await apiSnapshot("warm-api", "warm-snap");
  berth("volume", "rm", "warm-api", "warm-snap", "warm");
  for (const [si, size] of SIZES.entries()) {
    const data = path.join(work, `data-${si}`);
    makeData(data, size.bytes);
    const t = { cli: [], api: [], cp: [] };
    for (let r = 0; r < warmup + runs; r++) {
      const keep = r >= warmup;
      freshSource(`src-${si}-${r}`, data);
      const cli = timed(() => berth("volume", "create", `snap-${si}-${r}`, "--from", `src-${si}-${r}`));
      freshSource(`asrc-${si}-${r}`, data);
      const t0 = process.hrtime.bigint();
      await apiSnapshot(`asnap-${si}-${r}`, `asrc-${si}-${r}`);
      const api = Number(process.hrtime.bigint() - t0) / 1e6;
      const dst = path.join(work, `copy-${si}-${r}`);
      const cp = timed(() => execFileSync("cp", ["-a", data, dst]));
      fs.rmSync(dst, { recursive: true, force: true });
      // The snapshot holds the source's data.
      if (fs.statSync(path.join(mountpoint(`snap-${si}-${r}`), "data.bin")).size !== size.bytes) throw new Error(`snapshot snap-${si}-${r} lacks its source's data`);
      if (keep) {
        t.cli.push(cli);
        t.api.push(api);
        t.cp.push(cp);
      }
      berth("volume", "rm", `snap-${si}-${r}`, `src-${si}-${r}`, `asnap-${si}-${r}`, `asrc-${si}-${r}`);
    }
    rows.push({
      size: size.label,
      "snapshot, CLI (ms)": +median(t.cli).toFixed(1),
      "snapshot, API (ms)": +median(t.api).toFixed(1),
      "cp -a (ms)": +median(t.cp).toFixed(1),
      "cp -a ÷ snapshot (API)": +(median(t.cp) / median(t.api)).toFixed(1),
    });
    fs.rmSync(data, { recursive: true, force: true });
  }
  console.table(rows);
  const worst = Math.max(...rows.map((r) => r["snapshot, CLI (ms)"]));
  console.log(`slowest snapshot median through the CLI: ${worst} ms (goal < 1000 ms, independent of size)`);
} finally {
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
