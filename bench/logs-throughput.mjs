#!/usr/bin/env node
// `berth logs C > /dev/null` next to `docker logs C > /dev/null` for a container that printed
// 1M lines (`seq 1000000`), same machine, same run, interleaved; then `logs --tail 10`, and the
// worker's and web's peak RSS (they must stream, not hold the log). Needs root.
//   node bench/logs-throughput.mjs [--runs N] [--warmup N] [--lines N]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compare } from "./lib/compare.mjs";
import { DOCKER, ensureDocker, sleep, startBerth } from "./lib/peers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const runs = arg("--runs", 7);
const warmup = arg("--warmup", 1);
const lines = arg("--lines", 1_000_000);
const BERTH = [process.execPath, path.join(root, "cli/bin/berth.js")];
const quote = (a) => `'${a.replace(/'/g, `'\\''`)}'`;
/** The command with its stdout to /dev/null (as a user would time it), through sh for both peers alike. */
const toNull = (argv) => ["sh", "-c", `exec ${argv.map(quote).join(" ")} > /dev/null`];

/** Peak and current RSS (VmHWM, VmRSS; MiB) of this Berth's web and worker processes. */
function peakRss(home) {
  const out = {};
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
      const which = cmd.includes("worker/dist/main.js") ? "worker" : cmd.includes("web/dist/server.js") ? "web" : undefined;
      if (!which || !fs.readFileSync(`/proc/${p}/environ`, "utf8").includes(`BERTH_HOME=${home}\0`)) continue;
      const status = fs.readFileSync(`/proc/${p}/status`, "utf8");
      const mib = (k) => +(Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024).toFixed(1);
      out[which] = { peak: mib("VmHWM"), now: mib("VmRSS") };
    } catch {
      /* gone */
    }
  }
  return out;
}

function must(cmd, env = {}) {
  const r = spawnSync(cmd[0], cmd.slice(1), { env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

await ensureDocker();
const berth = await startBerth();
const name = `logs-bench-${process.pid}`;
try {
  must([DOCKER, "rm", "-f", name]);
  must([DOCKER, "run", "-d", "--name", name, "busybox", "seq", "1", String(lines)]);
  must([DOCKER, "wait", name]);
  must([...BERTH, "run", "-d", "--name", name, "busybox", "seq", "1", String(lines)], berth.env);
  must([...BERTH, "wait", name], berth.env);
  console.log("RSS (MiB) after the container printed its lines:", JSON.stringify(peakRss(berth.home)));
  // Both hold every line before timing starts.
  for (const [label, cmd, env] of [["docker", [DOCKER, "logs", name], {}], ["berth", [...BERTH, "logs", name], berth.env]]) {
    const got = spawnSync("sh", ["-c", `${cmd.map(quote).join(" ")} | wc -l`], { env: { ...process.env, ...env }, encoding: "utf8" }).stdout.trim();
    if (Number(got) !== lines) throw new Error(`${label} logs returned ${got} lines, expected ${lines}`);
  }
  const before = peakRss(berth.home);
  console.log(`logs of a container that printed ${lines} lines (${runs} interleaved runs after ${warmup} warm-up each; ${os.cpus().length} cores)`);
  compare(
    [
      { name: `docker logs (${lines} lines)`, cmd: toNull([DOCKER, "logs", name]) },
      { name: `berth logs (${lines} lines)`, cmd: toNull([...BERTH, "logs", name]), env: berth.env },
    ],
    { warmup, runs },
  );
  compare(
    [
      { name: "docker logs --tail 10", cmd: toNull([DOCKER, "logs", "--tail", "10", name]) },
      { name: "berth logs --tail 10", cmd: toNull([...BERTH, "logs", "--tail", "10", name]), env: berth.env },
      // The CLI's floor here: start-up plus one API round trip.
      { name: "berth ps (reference)", cmd: toNull([...BERTH, "ps"]), env: berth.env },
    ],
    { warmup, runs },
  );
  await sleep(200);
  console.log("RSS (MiB) of Berth's processes after the 1M-line run, and after the reads:", JSON.stringify({ before, after: peakRss(berth.home) }));
} finally {
  spawnSync(DOCKER, ["rm", "-f", name], { stdio: "ignore" });
  await berth.stop();
}
