#!/usr/bin/env node
// `berth logs -f C` next to `docker logs -f C` for a container that printed 1M lines (`seq 1
// 1000000`) and stays up: the time from starting the command to its last line, interleaved,
// after a warm-up; medians and the ratio to Docker. Every run's output is checked: exactly the
// lines 1..N, each once (a follow that duplicates or drops a line at the hand-over from the
// file to the live stream fails the bench). Then the same while the container is still
// printing (`run -d` and `logs -f` at once), where that hand-over is busiest. Needs root.
//   node bench/logs-follow-vs-docker.mjs [--runs N] [--warmup N] [--lines N]
import { spawn, spawnSync } from "node:child_process";
import os from "node:os";
import { median } from "./lib/compare.mjs";
import { BERTH_BIN, DOCKER, arg, ensureDocker, sleep, startBerth } from "./lib/instances.mjs";

const runs = arg("--runs", 7);
const warmup = arg("--warmup", 1);
const lines = arg("--lines", 1_000_000);
/** How long a run keeps reading after the last line: a duplicate that arrives late still counts. */
const LINGER_MS = 300;

function must(cmd, env = {}) {
  const r = spawnSync(cmd[0], cmd.slice(1), { env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Runs `cmd` (a `logs -f`), reads its stdout until the line `lines`, keeps reading LINGER_MS more,
 * then stops it. Returns the milliseconds to the last line and what it saw: lines, distinct
 * lines in 1..N, lines outside 1..N.
 */
function follow(cmd, env = {}) {
  return new Promise((resolve, reject) => {
    const seen = new Uint8Array(lines + 1);
    let total = 0;
    let distinct = 0;
    let foreign = 0;
    let rest = "";
    let lastAt;
    const last = String(lines);
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd[0], cmd.slice(1), { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const line = (l) => {
      total++;
      const n = Number(l);
      if (!Number.isInteger(n) || n < 1 || n > lines || String(n) !== l) foreign++;
      else if (!seen[n]) {
        seen[n] = 1;
        distinct++;
      }
      if (l === last && lastAt === undefined) {
        lastAt = process.hrtime.bigint();
        setTimeout(() => child.kill("SIGTERM"), LINGER_MS);
      }
    };
    child.stdout.setEncoding("latin1").on("data", (d) => {
      const parts = (rest + d).split("\n");
      rest = parts.pop();
      for (const l of parts) line(l);
    });
    const guard = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(guard);
      if (lastAt === undefined) return reject(new Error(`${cmd.join(" ")} ended (exit ${code}) before line ${lines}: ${total} lines, ${stderr}`));
      resolve({ ms: Number(lastAt - t0) / 1e6, total, distinct, foreign });
    });
  });
}

function check(label, r) {
  if (r.total !== lines || r.distinct !== lines || r.foreign !== 0) {
    throw new Error(`${label}: ${r.total} lines, ${r.distinct} distinct of 1..${lines}, ${r.foreign} others (expected exactly ${lines}, each once)`);
  }
}

/** Interleaved timed runs of each command after a warm-up; every run's output checked. */
async function compareFollow(commands) {
  const times = new Map(commands.map((c) => [c.name, []]));
  for (let i = 0; i < warmup + runs; i++) {
    for (const c of commands) {
      const r = await follow(c.cmd, c.env);
      check(c.name, r);
      if (i >= warmup) times.get(c.name).push(r.ms);
    }
  }
  const base = median(times.get(commands[0].name));
  const rows = commands.map((c) => ({
    name: c.name,
    median_ms: +median(times.get(c.name)).toFixed(1),
    min_ms: +Math.min(...times.get(c.name)).toFixed(1),
    ratio_to_docker: +(median(times.get(c.name)) / base).toFixed(2),
    lines_checked: `${lines} × ${warmup + runs}`,
  }));
  console.table(rows);
}

const BERTH = [process.execPath, BERTH_BIN];
const printThenStay = ["sh", "-c", `seq 1 ${lines}; exec sleep 1000000`];

await ensureDocker();
const berth = await startBerth();
const name = `logs-follow-${process.pid}`;
const names = [];
try {
  // A container that printed every line and stays up: `logs -f` reads the history, then waits.
  must([DOCKER, "run", "-d", "--name", name, "busybox", ...printThenStay]);
  must([...BERTH, "run", "-d", "--name", name, "busybox", ...printThenStay], berth.env);
  names.push(name);
  for (const [label, cmd, env] of [["docker", [DOCKER, "logs", "--tail", "1", name], {}], ["berth", [...BERTH, "logs", "--tail", "1", name], berth.env]]) {
    for (let i = 0; must(cmd, env) !== String(lines); i++) {
      if (i > 600) throw new Error(`${label}: the container did not print its ${lines} lines in 60 s`);
      await sleep(100);
    }
  }
  console.log(`logs -f of a running container that printed ${lines} lines, to its last line (${runs} interleaved runs after ${warmup} warm-up each; ${os.cpus().length} cores)`);
  await compareFollow([
    { name: `docker logs -f (${lines} lines)`, cmd: [DOCKER, "logs", "-f", name] },
    { name: `berth logs -f (${lines} lines)`, cmd: [...BERTH, "logs", "-f", name], env: berth.env },
  ]);

  // Attached while the container prints: the follow crosses from the file to the live stream mid-output.
  const live = Math.max(1, Math.ceil(runs / 2));
  const liveTimes = { docker: [], berth: [] };
  for (let i = 0; i < live; i++) {
    for (const [peer, run, logs, env] of [
      ["docker", [DOCKER, "run", "-d"], [DOCKER, "logs", "-f"], {}],
      ["berth", [...BERTH, "run", "-d"], [...BERTH, "logs", "-f"], berth.env],
    ]) {
      const n = `${name}-live-${i}`;
      if (peer === "docker") names.push(n);
      must([...run, "--name", n, "busybox", ...printThenStay], env);
      const r = await follow([...logs, n], env);
      check(`${peer} logs -f while printing`, r);
      liveTimes[peer].push(r.ms);
    }
  }
  console.log(`logs -f attached as the container starts printing ${lines} lines (${live} runs each; every run checked: each line exactly once)`);
  const base = median(liveTimes.docker);
  console.table(
    Object.entries(liveTimes).map(([peer, t]) => ({ name: `${peer} run -d + logs -f`, median_ms: +median(t).toFixed(1), ratio_to_docker: +(median(t) / base).toFixed(2) })),
  );
} finally {
  for (const n of names) {
    spawnSync(DOCKER, ["rm", "-f", n], { stdio: "ignore" });
    spawnSync(BERTH[0], [...BERTH.slice(1), "rm", "-f", n], { env: { ...process.env, ...berth.env }, stdio: "ignore" });
  }
  await berth.stop();
}
