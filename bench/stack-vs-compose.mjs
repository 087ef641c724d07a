#!/usr/bin/env node
// `berth stack up -d` / `down` of the three-service fixture (test/fixtures/stacks/shop: an HTTP
// server, a "database" built from a Dockerfile that turns healthy after ~2 s, and a worker that
// waits for it) next to Debian's `docker-compose up -d` / `down` of the same file on the Docker
// daemon. Both sides wait for db to be healthy before the worker starts, so both pay db's 2 s.
//   cold:   no containers, network, volume or db image (down -v, then the image's tag removed):
//           up builds db's image and creates everything. Both builders keep their step cache
//           (Berth caches steps as layers; Docker's legacy builder keeps the intermediate images,
//           as `rmi --no-prune` leaves them), so the build is a cache hit on both sides.
//   cached: the image is there (down without -v, so the volume is too): up creates the
//           network and containers.
//   down:   after a cached up, containers and network go.
// Interleaved (docker-compose, berth, docker-compose, berth…) after a warm-up; medians and ratios.
// --db-delay SECONDS (default 2, the fixture's own) sets how long db waits before it listens, on
// both sides alike (the compose file's ${DB_DELAY:-2}, given to db.sh in its environment).
// Needs root and docker-compose (Debian's 1.29); starts dockerd if it is not running.
//   node bench/stack-vs-compose.mjs [--runs N] [--warmup N] [--db-delay SECONDS]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { median } from "./lib/compare.mjs";
import { BERTH_BIN, DOCKER, arg, ensureDocker, root, startBerth } from "./lib/instances.mjs";

const runs = arg("--runs", 5);
const warmup = arg("--warmup", 1);
const dbDelay = arg("--db-delay", "2");
if (!/^\d+(\.\d+)?$/.test(dbDelay)) throw new Error(`bench: --db-delay takes seconds, as sleep reads them (2, 0.5), not "${dbDelay}"`);
const COMPOSE = "/usr/bin/docker-compose";
// The Docker daemon may be shared: a project name of our own (its image is <project>_db).
const PROJECT = `benchshop${process.pid}`;
if (!fs.existsSync(COMPOSE)) throw new Error("bench: docker-compose is not installed (apt-get install docker-compose)");

function timedRun(name, cmd, args, { cwd, env = {} }) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, DB_DELAY: dbDelay, ...env }, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${name}: ${cmd} ${args.join(" ")} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  return ms;
}
const quiet = (cmd, args, opts) => spawnSync(cmd, args, { ...opts, env: { ...process.env, DB_DELAY: dbDelay, ...opts.env }, stdio: "ignore" });

/** One copy of the fixture per side, each in a directory named shop (the stack's name on both). */
function fixture(side) {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `bench-stack-${side}-`)), "shop");
  fs.cpSync(path.join(root, "test/fixtures/stacks/shop"), dir, { recursive: true });
  return dir;
}

await ensureDocker();
const berth = await startBerth();
const composeDir = fixture("compose");
const berthDir = fixture("berth");
const env = berth.env;
const sides = {
  "docker-compose": {
    up: () => timedRun("docker-compose up", COMPOSE, ["-p", PROJECT, "-f", "compose.yaml", "up", "-d"], { cwd: composeDir }),
    down: () => timedRun("docker-compose down", COMPOSE, ["-p", PROJECT, "-f", "compose.yaml", "down"], { cwd: composeDir }),
    coldReset() {
      quiet(COMPOSE, ["-p", PROJECT, "-f", "compose.yaml", "down", "-v"], { cwd: composeDir });
      quiet(DOCKER, ["rmi", "--no-prune", `${PROJECT}_db`], {});
    },
  },
  berth: {
    up: () => timedRun("berth stack up", process.execPath, [BERTH_BIN, "stack", "up", "-d"], { cwd: berthDir, env }),
    down: () => timedRun("berth stack down", process.execPath, [BERTH_BIN, "stack", "down"], { cwd: berthDir, env }),
    coldReset() {
      quiet(process.execPath, [BERTH_BIN, "stack", "down", "-v"], { cwd: berthDir, env: { ...process.env, ...env } });
      quiet(process.execPath, [BERTH_BIN, "rmi", "-f", "shop-db"], { cwd: berthDir, env: { ...process.env, ...env } });
    },
  },
};
const names = Object.keys(sides);
const times = { cold: {}, cached: {}, down: {} };
for (const k of Object.keys(times)) for (const n of names) times[k][n] = [];

try {
  // The machine may be shared: its load, before and after, says how far to trust the figures.
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`berth stack vs docker-compose, fixture shop, db delay ${dbDelay} s (${runs} interleaved runs after ${warmup} warm-up; ${os.cpus().length} cores; docker ${(await ensureDocker()).version}; load average ${load()})`);
  for (let i = 0; i < warmup + runs; i++) {
    const keep = i >= warmup;
    for (const n of names) {
      const s = sides[n];
      s.coldReset();
      const cold = s.up();
      s.down();
      const cached = s.up();
      const down = s.down();
      if (keep) {
        times.cold[n].push(cold);
        times.cached[n].push(cached);
        times.down[n].push(down);
      }
    }
  }
  const rows = [];
  for (const [what, byName] of Object.entries(times)) {
    const base = median(byName[names[0]]);
    for (const n of names) {
      const m = median(byName[n]);
      rows.push({ case: what, side: n, median_ms: +m.toFixed(0), min_ms: +Math.min(...byName[n]).toFixed(0), ratio_to_compose: +(m / base).toFixed(2) });
    }
  }
  console.table(rows);
  console.log(`load average after: ${load()}`);
} finally {
  for (const n of names) sides[n].coldReset();
  await berth.stop();
  fs.rmSync(path.dirname(composeDir), { recursive: true, force: true });
  fs.rmSync(path.dirname(berthDir), { recursive: true, force: true });
}
