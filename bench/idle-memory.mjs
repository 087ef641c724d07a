#!/usr/bin/env node
// Memory added per idle container: N (default 50) `busybox sleep 3600` containers on each side,
// and what the host pays for them beyond the container's own process.
//   Berth: the worker is the only per-host agent (no shim per container): its RSS and PSS
//          before and after, divided by N; plus the containers' cgroup memory and process PSS.
//   Docker: one containerd-shim per container: its PSS and RSS (the parent of each container's
//          init); dockerd + containerd before and after, divided by N; plus the containers'
//          cgroup memory and process PSS.
// PSS is smem's measure (/proc/<pid>/smaps_rollup): shared pages split among their users, so
// summing it over processes does not count a shared library N times; RSS does.
// cgroup memory (v1 memory.usage_in_bytes, v2 memory.current) includes page cache charged to
// the container, so it says more about the kernel's accounting than about an agent's cost.
// The worker is measured at its low point over a few seconds, after a warm-up round of N containers.
// Needs root. Starts dockerd (Debian's docker.io) if needed and a throwaway Berth.
//   node bench/idle-memory.mjs [--count N] [--samples N]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { median } from "./lib/compare.mjs";
import { DOCKER, arg, docker, ensureDocker, sleep, startBerth } from "./lib/instances.mjs";

const count = arg("--count", 50);
const samples = arg("--samples", 5);
const LABEL = "berth.bench=idle-memory";
const KiB = 1024;

const field = (text, name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
/** {rss, pss} in KiB. */
function mem(pid) {
  try {
    const r = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return { rss: field(r, "Rss"), pss: field(r, "Pss") };
  } catch {
    return { rss: NaN, pss: NaN };
  }
}
const sum = (pids) => pids.map(mem).reduce((a, m) => ({ rss: a.rss + m.rss, pss: a.pss + m.pss }), { rss: 0, pss: 0 });
/** Median over a few samples. */
async function sampled(fn) {
  const xs = [];
  for (let i = 0; i < samples; i++) {
    xs.push(fn());
    await sleep(200);
  }
  return { rss: median(xs.map((x) => x.rss)), pss: median(xs.map((x) => x.pss)) };
}
/** A Node process's memory saw-tooths with its garbage collector: its low point over a few seconds. */
async function lowPoint(fn) {
  const xs = [];
  for (let i = 0; i < samples * 4; i++) {
    xs.push(fn());
    await sleep(250);
  }
  return { rss: Math.min(...xs.map((x) => x.rss)), pss: Math.min(...xs.map((x) => x.pss)) };
}
const parentOf = (pid) => Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
const cmdline = (pid) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
};
const allPids = () => fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
function descendants(root) {
  const kids = new Map();
  for (const p of allPids()) {
    try {
      const pp = parentOf(p);
      if (!kids.has(pp)) kids.set(pp, []);
      kids.get(pp).push(p);
    } catch {}
  }
  const out = [];
  const walk = (p) => (kids.get(p) ?? []).forEach((k) => (out.push(k), walk(k)));
  walk(root);
  return out;
}
/** The memory cgroup of a process, as bytes charged to it (v1 memory hierarchy, else v2). */
function cgroupBytes(pid) {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
  const v1 = lines.find((l) => l.split(":")[1]?.split(",").includes("memory"));
  if (v1 && fs.existsSync("/sys/fs/cgroup/memory")) return Number(fs.readFileSync(`/sys/fs/cgroup/memory${v1.split(":")[2]}/memory.usage_in_bytes`, "utf8"));
  const v2 = lines.find((l) => l.startsWith("0::"));
  for (const base of ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]) {
    const f = `${base}${v2.slice(3)}/memory.current`;
    if (fs.existsSync(f)) return Number(fs.readFileSync(f, "utf8"));
  }
  return NaN;
}
const mib = (kib) => +(kib / KiB).toFixed(2);
let berthRunning;

await ensureDocker();
const berth = await startBerth();
berthRunning = async () => {
  const input = encodeURIComponent(JSON.stringify({ all: true }));
  const res = await fetch(`${berth.url}/api/trpc/container.list?input=${input}`, { headers: { authorization: `Bearer ${berth.token}` } });
  return (await res.json()).result.data.filter((c) => c.state === "running").length;
};
const dockerClean = () => {
  const ids = spawnSync(DOCKER, ["ps", "-aq", "--filter", `label=${LABEL}`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  if (ids.length) spawnSync(DOCKER, ["rm", "-f", ...ids], { stdio: "ignore" });
};
try {
  dockerClean();
  console.log(`memory added per idle container: ${count} × busybox sleep 3600 on each side; medians of ${samples} samples; ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);

  // ---- Berth ------------------------------------------------------------------------------
  const worker = descendants(berth.pid).find((p) => /worker\/dist\/main\.js/.test(cmdline(p)));
  if (!worker) throw new Error("could not find the Berth worker process");
  // Running means spawned: wait until each has its pid in the worker's tree.
  const berthInits = async () => {
    for (let i = 0; i < 600; i++) {
      const kids = descendants(worker).filter((p) => cmdline(p).startsWith("sleep 3600"));
      if (kids.length >= count && (await berthRunning()) >= count) return kids;
      await sleep(100);
    }
    throw new Error("Berth containers did not all start");
  };
  const startAll = () => Array.from({ length: count }, () => berth.berth("run", "-d", "busybox", "sleep", "3600").trim());
  // Warm-up: the worker's first containers also pay for code compiled and pools grown once.
  const warm = startAll();
  await berthInits();
  berth.berth("rm", "-f", ...warm);
  const wBefore = await lowPoint(() => mem(worker));
  const ids = startAll();
  const bInits = await berthInits();
  const wAfter = await lowPoint(() => mem(worker));
  const bCg = bInits.map(cgroupBytes);
  const bProc = sum(bInits);

  // ---- Docker -----------------------------------------------------------------------------
  const daemons = () => allPids().filter((p) => /^(\/usr\/sbin\/dockerd|\/usr\/bin\/dockerd|dockerd|containerd|\/usr\/bin\/containerd|\/usr\/sbin\/containerd)( |$)/.test(cmdline(p)) && !/shim/.test(cmdline(p)));
  const dBefore = await sampled(() => sum(daemons()));
  for (let i = 0; i < count; i++) docker("run", "-d", "--label", LABEL, "busybox", "sleep", "3600");
  const dIds = docker("ps", "-q", "--no-trunc", "--filter", `label=${LABEL}`).split("\n").filter(Boolean);
  const dInits = dIds.map((id) => Number(docker("inspect", "-f", "{{.State.Pid}}", id).trim()));
  const shims = dInits.map(parentOf);
  if (!shims.every((p) => /containerd-shim/.test(cmdline(p)))) throw new Error("a Docker container's parent is not a containerd-shim");
  await sleep(1000);
  const dAfter = await sampled(() => sum(daemons()));
  const shimMem = await sampled(() => sum(shims));
  const dCg = dInits.map(cgroupBytes);
  const dProc = sum(dInits);

  const rows = [
    {
      side: "berth",
      "agent: what each container adds": "worker (no shim)",
      agent_pss_MiB: mib((wAfter.pss - wBefore.pss) / count),
      agent_rss_MiB: mib((wAfter.rss - wBefore.rss) / count),
      daemons_pss_MiB: 0,
      container_cgroup_MiB: +(median(bCg) / 2 ** 20).toFixed(2),
      container_process_pss_MiB: mib(bProc.pss / count),
    },
    {
      side: "docker",
      "agent: what each container adds": "containerd-shim (one each)",
      agent_pss_MiB: mib(shimMem.pss / count),
      agent_rss_MiB: mib(shimMem.rss / count),
      daemons_pss_MiB: mib((dAfter.pss - dBefore.pss) / count),
      container_cgroup_MiB: +(median(dCg) / 2 ** 20).toFixed(2),
      container_process_pss_MiB: mib(dProc.pss / count),
    },
  ];
  console.table(rows);
  console.log(`berth worker: ${mib(wBefore.pss)} → ${mib(wAfter.pss)} MiB PSS, ${mib(wBefore.rss)} → ${mib(wAfter.rss)} MiB RSS; dockerd+containerd: ${mib(dBefore.pss)} → ${mib(dAfter.pss)} MiB PSS`);
  const berthKiB = (wAfter.pss - wBefore.pss) / count;
  const dockerKiB = shimMem.pss / count;
  console.log(`agent PSS per container: berth ${berthKiB.toFixed(0)} KiB, docker ${dockerKiB.toFixed(0)} KiB; berth / docker: ${(berthKiB / dockerKiB).toFixed(3)}`);
  if (ids.length) berth.berth("rm", "-f", ...ids);
} finally {
  dockerClean();
  await berth.stop();
}
