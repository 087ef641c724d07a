#!/usr/bin/env node
// 100 containers started at once: `berth run -d busybox sleep 300` × N, all launched together,
// next to `docker run -d busybox sleep 300` × N, same machine, same run. Per round and side:
// the wall time until every client returned, and until every container is running (Berth's
// `run -d` returns once the container is queued, Docker's once it runs: the second figure is
// the one to compare). Rounds alternate which side goes first; everything is removed after each.
// Needs root. Starts dockerd (Debian's docker.io) if needed and a throwaway Berth.
//   node bench/containers-concurrent.mjs [--count N] [--rounds N]
import { spawn, spawnSync } from "node:child_process";
import os from "node:os";
import { median } from "./lib/compare.mjs";
import { BERTH_BIN, DOCKER, arg, ensureDocker, sleep, startBerth } from "./lib/instances.mjs";

const count = arg("--count", 100);
const rounds = arg("--rounds", 3);
const LABEL = "berth.bench=containers-concurrent";

const run = (cmd, args, env) =>
  new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    c.stderr.on("data", (d) => (err += d));
    c.stdout.resume();
    c.on("error", reject);
    c.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")}: exit ${code}: ${err}`))));
  });

/** Launches all, resolves with [ms until every client returned, ms until every container runs]. */
async function round(start, runningCount) {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => start(i)));
  const returned = performance.now() - t0;
  for (let i = 0; (await runningCount()) < count; i++) {
    if (i > 6000) throw new Error("containers did not all start within 10 minutes");
    await sleep(20);
  }
  return [returned, performance.now() - t0];
}

await ensureDocker();
const berth = await startBerth();
const berthRunning = async () => {
  const input = encodeURIComponent(JSON.stringify({ all: true }));
  const res = await fetch(`${berth.url}/api/trpc/container.list?input=${input}`, { headers: { authorization: `Bearer ${berth.token}` } });
  const body = await res.json();
  return body.result.data.filter((c) => c.state === "running").length;
};
const dockerRunning = async () => {
  const r = spawnSync(DOCKER, ["ps", "-q", "--filter", `label=${LABEL}`, "--filter", "status=running"], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).length;
};
const berthClean = () => {
  const ids = berth.berth("ps", "-aq").split("\n").filter(Boolean);
  if (ids.length) berth.berth("rm", "-f", ...ids);
};
const dockerClean = () => {
  const ids = spawnSync(DOCKER, ["ps", "-aq", "--filter", `label=${LABEL}`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  if (ids.length) spawnSync(DOCKER, ["rm", "-f", ...ids], { stdio: "ignore" });
};

const sides = {
  docker: {
    name: `docker run -d busybox sleep 300 ×${count}`,
    start: () => run(DOCKER, ["run", "-d", "--label", LABEL, "busybox", "sleep", "300"]),
    running: dockerRunning,
    clean: dockerClean,
  },
  berth: {
    name: `berth run -d busybox sleep 300 ×${count}`,
    start: () => run(process.execPath, [BERTH_BIN, "run", "-d", "busybox", "sleep", "300"], berth.env),
    running: berthRunning,
    clean: berthClean,
  },
};
const t = { docker: { returned: [], running: [] }, berth: { returned: [], running: [] } };
try {
  dockerClean();
  console.log(`${count} containers started concurrently, ${rounds} rounds (order alternates); ${os.cpus().length} cores`);
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 ? ["berth", "docker"] : ["docker", "berth"]) {
      const s = sides[side];
      const [returned, running] = await round(s.start, s.running);
      t[side].returned.push(returned);
      t[side].running.push(running);
      console.error(`round ${r + 1} ${side}: clients returned ${returned.toFixed(0)} ms, all running ${running.toFixed(0)} ms`);
      s.clean();
    }
  }
  const base = median(t.docker.running);
  console.table(
    ["docker", "berth"].map((side) => ({
      name: sides[side].name,
      clients_returned_median_ms: +median(t[side].returned).toFixed(0),
      all_running_median_ms: +median(t[side].running).toFixed(0),
      all_running_min_ms: +Math.min(...t[side].running).toFixed(0),
      ratio_to_docker: +(median(t[side].running) / base).toFixed(2),
    })),
  );
} finally {
  dockerClean();
  await berth.stop();
}
