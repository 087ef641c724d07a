#!/usr/bin/env node
// What the teams policy costs a request (issue 12: under 2 ms). Runs `berth run --rm busybox true`
// and `berth ps` interleaved against a throwaway Berth, after a warm-up: end-to-end medians and
// p95 of each command, and the server's own time for each request from its Server-Timing header
// (`policy` = the actor and its team + can(), what teams added; `auth` = who the token or session
// is, as before teams; `audit` = the audit row a change writes), read by a hook preloaded into
// the CLI (bench/lib/server-timing-hook.cjs).
// Then, if dockerd can run, `docker run --rm busybox true` and `docker ps` the same way, for
// the ratios bench/run-vs-docker.mjs reports.
//   node bench/policy-cost.mjs [--runs N] [--warmup N] [--no-docker]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { median } from "./lib/compare.mjs";
import { BERTH_BIN, DOCKER, arg, ensureDocker, root, startBerth } from "./lib/instances.mjs";

const runs = arg("--runs", 30);
const warmup = arg("--warmup", 5);
const withDocker = !process.argv.includes("--no-docker");

const p95 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
};
const r2 = (x) => (x === undefined ? "-" : +x.toFixed(2));

/** `policy;dur=0.41, audit;dur=1.2` → { policy: 0.41, audit: 1.2 } */
function parseTiming(h) {
  const out = {};
  for (const part of h.split(",")) {
    const m = /^\s*([\w-]+)(?:;.*?dur=([\d.]+))?/.exec(part);
    if (m && m[2] !== undefined) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  }
  return out;
}

let docker;
if (withDocker) {
  try {
    docker = await ensureDocker();
  } catch (err) {
    console.error(`bench: no Docker figures (${err.message})`);
  }
}
const berth = await startBerth();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "policy-cost-"));
try {
  const hook = path.join(root, "bench/lib/server-timing-hook.cjs");
  const commands = [
    { name: "berth run --rm busybox true", cmd: [BERTH_BIN, "run", "--rm", "busybox", "true"], berth: true },
    { name: "berth ps", cmd: [BERTH_BIN, "ps"], berth: true },
    ...(docker
      ? [
          { name: "docker run --rm busybox true", cmd: [DOCKER, "run", "--rm", "busybox", "true"] },
          { name: "docker ps", cmd: [DOCKER, "ps"] },
        ]
      : []),
  ];
  const stats = new Map(commands.map((c) => [c.name, { wall: [], policy: [], audit: [], auth: [], requests: [] }]));
  const once = (c, record) => {
    const file = path.join(tmp, "timing.jsonl");
    fs.rmSync(file, { force: true });
    const env = c.berth ? { ...process.env, ...berth.env, NODE_OPTIONS: `--require ${hook}`, BERTH_BENCH_TIMING_FILE: file } : process.env;
    const t0 = process.hrtime.bigint();
    const r = spawnSync(c.cmd[0], c.cmd.slice(1), { env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${c.name} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
    if (!record) return;
    const s = stats.get(c.name);
    s.wall.push(ms);
    if (!c.berth) return;
    const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
    let policy = 0;
    let audit = 0;
    let auth = 0;
    for (const l of lines) {
      const t = parseTiming(l.timing);
      if (t.policy === undefined) throw new Error(`${c.name}: ${l.method} ${l.path} answered with no Server-Timing policy entry`);
      policy += t.policy;
      audit += t.audit ?? 0;
      auth += t.auth ?? 0;
      s.requests.push({ path: l.path, policy: t.policy, audit: t.audit ?? 0, auth: t.auth ?? 0 });
    }
    s.policy.push(policy);
    s.audit.push(audit);
    s.auth.push(auth);
  };
  console.log(`policy cost: ${runs} interleaved runs of each command after ${warmup} warm-up each; ${os.cpus().length} cores; ${docker ? `Docker ${docker.version}` : "no Docker"}`);
  for (let i = 0; i < warmup; i++) for (const c of commands) once(c, false);
  for (let i = 0; i < runs; i++) for (const c of commands) once(c, true);

  const rows = commands.map((c) => {
    const s = stats.get(c.name);
    const paths = [...new Set(s.requests.map((q) => q.path))].join(" ");
    return {
      command: c.name,
      "e2e median ms": r2(median(s.wall)),
      "e2e p95 ms": r2(p95(s.wall)),
      ...(c.berth
        ? {
            requests: paths,
            "policy/request median ms": r2(median(s.requests.map((q) => q.policy))),
            "policy/request p95 ms": r2(p95(s.requests.map((q) => q.policy))),
            "auth/request median ms": r2(median(s.requests.map((q) => q.auth))),
            "audit/command median ms": r2(median(s.audit)),
          }
        : {}),
    };
  });
  console.table(rows);
  if (docker) {
    const ratio = (a, b) => +(median(stats.get(a).wall) / median(stats.get(b).wall)).toFixed(2);
    console.log(`berth run / docker run: ${ratio("berth run --rm busybox true", "docker run --rm busybox true")}×   berth ps / docker ps: ${ratio("berth ps", "docker ps")}×`);
  }
  const reqs = [...stats.values()].flatMap((s) => s.requests);
  const all = reqs.map((q) => q.policy);
  const withAll = reqs.map((q) => q.policy + q.auth + q.audit);
  const verdict = median(all) < 2 ? "under" : "OVER";
  console.log(`policy (actor + can) per request: median ${r2(median(all))} ms, p95 ${r2(p95(all))} ms over ${all.length} requests: ${verdict} the 2 ms budget`);
  console.log(`policy + auth + audit per request: median ${r2(median(withAll))} ms, p95 ${r2(p95(withAll))} ms`);
} finally {
  await berth.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
