#!/usr/bin/env node
// `berth build` next to `docker build` (the legacy builder; BuildKit too when it runs) of the
// same Dockerfile and context, same machine, interleaved after a warm-up: a cold build
// (`--no-cache`) and a fully cached rebuild. Then layer creation throughput: a directory of
// random files (--layer-mb, default 1024) put into a stopped container's upper dir, and the time
// `berth commit` and `docker commit` take to turn it into an image layer (MB/s).
// Both sides start from the same busybox root: Berth's image is loaded into Docker first.
// Needs root and a running dockerd (start it: /usr/sbin/dockerd --iptables=true &), a built checkout.
//   node bench/build-vs-docker.mjs [--context DIR] [--runs N] [--cold-runs N] [--warmup N]
//                                  [--layer-mb MB] [--layer-runs N] [--only build|commit]
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compare, median } from "./lib/compare.mjs";
import { BERTH_BIN, DOCKER, docker, ensureDocker, root, startBerth, timed } from "./lib/instances.mjs";

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const context = path.resolve(opt("--context", path.join(root, "test/fixtures/build/cache")));
const runs = Number(opt("--runs", 10));
const coldRuns = Number(opt("--cold-runs", 5));
const warmup = Number(opt("--warmup", 2));
const layerMb = Number(opt("--layer-mb", 1024));
const layerRuns = Number(opt("--layer-runs", 3));
const only = opt("--only", "");
const LABEL = "berth.bench=build-vs-docker";

await ensureDocker({ start: false, busybox: false });
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-build-"));
const server = await startBerth();
const { home, berth } = server;
const cliEnv = server.env;
// The command as installed: the file itself, started through its #! line (which keeps Node from
// parsing NODE_EXTRA_CA_CERTS at start; see cli/bin/berth.js). Run by hand through `node`, the
// variable is read first: that row is shown too when it is set.
const BERTH = [BERTH_BIN];
const viaNode = !!process.env.NODE_EXTRA_CA_CERTS;

const cleanup = [];
try {
  // The same base on both sides: Berth's busybox, loaded into Docker as busybox:latest.
  const base = path.join(work, "busybox.tar");
  berth("save", "busybox", "-o", base);
  docker("load", "-i", base);
  console.log(`${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; docker ${docker("version", "--format", "{{.Server.Version}}").trim()}`);

  if (only !== "commit") {
    // BuildKit: through `docker buildx` if present, else the engine's built-in one (DOCKER_BUILDKIT=1).
    const buildkit = spawnSync(DOCKER, ["buildx", "version"], { stdio: "ignore" }).status === 0 ? "buildx" : (spawnSync(DOCKER, ["build", "-q", "-t", "bench-buildkit-probe", context], { env: { ...process.env, DOCKER_BUILDKIT: "1" }, stdio: "ignore" }).status === 0 ? "builtin" : "");
    spawnSync(DOCKER, ["rmi", "-f", "bench-buildkit-probe"], { stdio: "ignore" });
    const cmds = (noCache) => {
      const nc = noCache ? ["--no-cache"] : [];
      const c = [
        { name: `docker build${noCache ? " --no-cache" : ""} (legacy)`, cmd: [DOCKER, "build", ...nc, "-q", "--label", LABEL, "-t", "bench-build:legacy", context], env: { DOCKER_BUILDKIT: "0" } },
        { name: `berth build${noCache ? " --no-cache" : ""}`, cmd: [...BERTH, "build", ...nc, "-q", "-t", "bench/build:berth", context], env: cliEnv },
      ];
      if (viaNode) c.push({ name: `node cli/bin/berth.js build${noCache ? " --no-cache" : ""}`, cmd: [process.execPath, BERTH_BIN, "build", ...nc, "-q", "-t", "bench/build:berth", context], env: cliEnv });
      if (buildkit === "buildx") c.push({ name: `docker buildx build${noCache ? " --no-cache" : ""}`, cmd: [DOCKER, "buildx", "build", ...nc, "-q", "--load", "--label", LABEL, "-t", "bench-build:buildkit", context] });
      if (buildkit === "builtin") c.push({ name: `DOCKER_BUILDKIT=1 docker build${noCache ? " --no-cache" : ""}`, cmd: [DOCKER, "build", ...nc, "-q", "--label", LABEL, "-t", "bench-build:buildkit", context], env: { DOCKER_BUILDKIT: "1" } });
      return c;
    };
    console.log(`\nbuild of ${path.relative(root, context) || context}: ${fs.readFileSync(path.join(context, "Dockerfile"), "utf8").trim().split("\n").length} instructions; BuildKit: ${buildkit || "does not run here"}`);
    console.log(`cold (--no-cache), ${coldRuns} runs each after ${warmup} warm-up, interleaved; ratios to docker legacy`);
    compare(cmds(true), { warmup, runs: coldRuns });
    console.log(`fully cached rebuild, ${runs} runs each after ${warmup} warm-up, interleaved; ratios to docker legacy`);
    compare(cmds(false), { warmup, runs });
    cleanup.push(() => {
      spawnSync(DOCKER, ["rmi", "-f", "bench-build:legacy", "bench-build:buildkit"], { stdio: "ignore" });
      spawnSync(DOCKER, ["image", "prune", "-f", "--filter", `label=${LABEL}`], { stdio: "ignore" });
    });
  }

  if (only !== "build") {
    // One directory of random files (incompressible: the worst case for a gzip layer), 4 MiB each.
    const data = path.join(work, "data");
    fs.mkdirSync(data);
    const fileMb = 4;
    for (let i = 0; i < layerMb / fileMb; i++) fs.writeFileSync(path.join(data, `f${String(i).padStart(4, "0")}`), crypto.randomBytes(fileMb << 20));
    const mb = (layerMb * 2 ** 20) / 1e6;
    const t = { berth: [], docker: [] };
    const containers = path.join(home, "containers");
    for (let i = 0; i < layerRuns; i++) {
      // Berth: a stopped container, the files copied into its upper dir (what it would have written).
      const before = new Set(fs.readdirSync(containers));
      berth("run", "--name", `bench-commit-${i}`, "busybox", "true");
      const id = fs.readdirSync(containers).find((d) => !before.has(d));
      execFileSync("cp", ["-a", data, path.join(containers, id, "upper", "data")]);
      execFileSync("sync");
      t.berth.push(timed(() => berth("commit", `bench-commit-${i}`, `bench/commit:${i}`)));
      // Docker: the same files copied into a created container's upper dir.
      const dname = `bench-commit-${process.pid}-${i}`;
      docker("create", "--name", dname, "busybox", "true");
      cleanup.push(() => spawnSync(DOCKER, ["rm", "-f", dname], { stdio: "ignore" }));
      docker("cp", data, `${dname}:/data`);
      execFileSync("sync");
      t.docker.push(timed(() => docker("commit", dname, `bench-commit:${i}`)));
      cleanup.push(() => spawnSync(DOCKER, ["rmi", "-f", `bench-commit:${i}`], { stdio: "ignore" }));
    }
    const row = (name, xs) => ({ name, median_ms: +median(xs).toFixed(0), min_ms: +Math.min(...xs).toFixed(0), MB_per_s: +(mb / (median(xs) / 1000)).toFixed(0) });
    console.log(`\nlayer creation: ${layerMb} MiB of random files (${layerMb / fileMb} × ${fileMb} MiB) in a container's upper dir; ${layerRuns} runs each, interleaved`);
    const rows = [row("docker commit", t.docker), row("berth commit", t.berth)];
    console.table(rows);
    console.log(`berth / docker throughput: ${(rows[1].MB_per_s / rows[0].MB_per_s).toFixed(2)}`);
  }
} finally {
  for (const f of cleanup) f();
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
