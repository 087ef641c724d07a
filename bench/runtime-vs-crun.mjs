#!/usr/bin/env node
// `berth-runtime run` vs `crun run` vs `runc run` of /bin/true on the same OCI bundle (made by
// `crun spec`, busybox root), interleaved after a warm-up; medians and ratios to crun. Then the
// start-to-exit time of a container through the Node addon (what the worker does), and the
// memory of an idle container. Needs root, a built native/ (npm run build -w @berth/native),
// Debian's crun and runc.
//   node bench/runtime-vs-crun.mjs [--runs N] [--warmup N] [--idle N]
import { execFileSync, spawnSync } from "node:child_process";
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
const runs = arg("--runs", 30);
const warmup = arg("--warmup", 5);
const idleCount = arg("--idle", 10);

if (process.getuid() !== 0) throw new Error("bench: needs root");
const berthRuntime = path.join(root, "native/build/Release/berth-runtime");
for (const [bin, hint] of [[berthRuntime, "npm run build -w @berth/native"], ["/usr/bin/crun", "apt-get install crun"], ["/usr/sbin/runc", "apt-get install runc"]]) {
  if (!fs.existsSync(bin)) throw new Error(`bench: ${bin} missing (${hint})`);
}
const native = await import(path.join(root, "native/dist/index.js"));
const { makeBusyboxLayer } = await import(path.join(root, "native/dist/test-rootfs.js"));

// crun 1.8 refuses this kind of hybrid cgroup layout until hugetlb has a v1 hierarchy (NOTES.md).
const hugetlb = "/sys/fs/cgroup/hugetlb";
if (fs.existsSync("/sys/fs/cgroup/memory") && spawnSync("mountpoint", ["-q", hugetlb]).status !== 0) {
  fs.mkdirSync(hugetlb, { recursive: true });
  execFileSync("mount", ["-t", "cgroup", "-o", "hugetlb", "cgroup", hugetlb]);
  console.error(`bench: mounted the hugetlb cgroup hierarchy at ${hugetlb} for crun`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-bench-runtime-"));
const bundle = path.join(tmp, "bundle");
fs.mkdirSync(bundle);
makeBusyboxLayer(path.join(bundle, "rootfs"));
execFileSync("crun", ["spec"], { cwd: bundle });
const config = JSON.parse(fs.readFileSync(path.join(bundle, "config.json"), "utf8"));
config.process.terminal = false;
config.process.args = ["/bin/true"];
fs.writeFileSync(path.join(bundle, "config.json"), JSON.stringify(config, null, 2));
// crun and runc always put a container in a cgroup; berth-runtime only when asked (cgroupsPath or
// resources). This second bundle (same root) asks, so the cgroup's cost is measured too.
const bundleCg = path.join(tmp, "bundle-cgroup");
fs.mkdirSync(bundleCg);
fs.writeFileSync(
  path.join(bundleCg, "config.json"),
  JSON.stringify({ ...config, root: { ...config.root, path: path.join(bundle, "rootfs") }, linux: { ...config.linux, cgroupsPath: `/berth-bench-rt-${process.pid}` } }, null, 2),
);

const runtimes = [
  { name: "crun run", cmd: (id) => ["crun", "run", "-b", bundle, id] },
  { name: "runc run", cmd: (id) => ["runc", "run", "-b", bundle, id] },
  { name: "berth-runtime run", cmd: (id) => [berthRuntime, "run", "-b", bundle, id] },
  { name: "berth-runtime run (+cgroup)", cmd: (id) => [berthRuntime, "run", "-b", bundleCg, id] },
];
let seq = 0;
const once = (r) => {
  const id = `bench-${process.pid}-${seq++}`;
  const [file, ...args] = r.cmd(id);
  const t0 = process.hrtime.bigint();
  const p = spawnSync(file, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (p.status !== 0) throw new Error(`${r.name} failed (exit ${p.status}): ${p.stderr || p.stdout}`);
  return ms;
};
const times = new Map(runtimes.map((r) => [r.name, []]));
for (let i = 0; i < warmup; i++) for (const r of runtimes) once(r);
for (let i = 0; i < runs; i++) for (const r of runtimes) times.get(r.name).push(once(r));
const base = median(times.get("crun run"));
console.log(`\n/bin/true in the same bundle (${runs} runs each, interleaved, ${warmup} warm-up), ratio to crun:`);
console.table(
  runtimes.map((r) => {
    const t = times.get(r.name);
    return { runtime: r.name, median_ms: +median(t).toFixed(2), min_ms: +Math.min(...t).toFixed(2), ratio_to_crun: +(median(t) / base).toFixed(2) };
  }),
);

// Through the addon, as the worker starts containers: overlay root, Docker's hardening.
const layer = path.join(tmp, "layer");
makeBusyboxLayer(layer);
let n = 0;
const spec = (args, extra = {}) => {
  const dir = path.join(tmp, `c${n++}`);
  const dirs = { rootfs: path.join(dir, "rootfs"), upperdir: path.join(dir, "upper"), workdir: path.join(dir, "work") };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  return { ...dirs, lowerdirs: [layer], args, env: ["PATH=/bin"], cwd: "/", hostname: "bench", uid: 0, gid: 0, ...extra };
};
const startToExit = async () => {
  const t0 = process.hrtime.bigint();
  const c = await native.spawnContainer(spec(["/bin/true"]));
  fs.closeSync(c.stdout);
  fs.closeSync(c.stderr);
  const status = await native.waitContainer(c.pid);
  if (status.exitCode !== 0) throw new Error(`addon container failed: ${JSON.stringify(status)}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
for (let i = 0; i < warmup; i++) await startToExit();
const addon = [];
for (let i = 0; i < runs * 3; i++) addon.push(await startToExit());
console.log(`\nIn-process start-to-exit through the addon (spawnContainer + waitContainer of /bin/true, ${addon.length} runs):`);
console.table([{ path: "addon", median_ms: +median(addon).toFixed(2), min_ms: +Math.min(...addon).toFixed(2), ratio_to_crun: +(median(addon) / base).toFixed(2) }]);

// Memory of an idle container: a `sleep` with its own cgroup.
const parent = `berth-bench-${process.pid}`;
const idle = [];
try {
  for (let i = 0; i < idleCount; i++) {
    const cgroup = `${parent}/c${i}`;
    const c = await native.spawnContainer(spec(["sleep", "3600"], { cgroup: { path: cgroup } }));
    fs.closeSync(c.stdout);
    fs.closeSync(c.stderr);
    idle.push({ ...c, cgroup });
  }
  await new Promise((r) => setTimeout(r, 500));
  const rows = [];
  for (const c of idle) {
    const kb = () => Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${c.pid}/status`, "utf8"))?.[1] ?? NaN);
    const pss = Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${c.pid}/smaps_rollup`, "utf8"))?.[1] ?? NaN);
    const stats = await native.cgroupStats(c.cgroup);
    rows.push({ rssKiB: kb(), pssKiB: pss, cgroupKiB: (stats.memory ?? NaN) / 1024 });
  }
  const col = (k) => median(rows.map((r) => r[k]));
  console.log(`\nIdle container (busybox sleep, its own cgroup; median of ${rows.length}):`);
  console.table([{ "RSS KiB": col("rssKiB"), "PSS KiB": col("pssKiB"), "cgroup memory KiB": +col("cgroupKiB").toFixed(0) }]);
} finally {
  for (const c of idle) native.killContainer(c.pid, 9);
  await Promise.all(idle.map((c) => native.waitContainer(c.pid)));
  await native.removeCgroup(parent);
  fs.rmSync(tmp, { recursive: true, force: true });
}
