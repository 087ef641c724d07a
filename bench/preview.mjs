#!/usr/bin/env node
// Branch previews: time from deployPreview() (what a `git push` to Berth calls once the commit is
// exported) to the preview's URL serving the new commit, through the edge, for the two-service
// fixture test/fixtures/previews/app (web built from a Dockerfile FROM busybox, api from busybox).
//   warm:  a one-line change (the page naming the commit) with the build cache warm and the
//          previous commit's preview running: build, start beside it, health, switch, old removed.
//   cold:  no preview running (removed with its volumes) and the build cache cold for web's steps
//          (a first RUN step that differs every time), as a first push of a branch.
// "berth git push" times the whole path a user waits for: `git push` of the commit to the project's
// repository on Berth (hook, export, build, deploy) until the URL serves it; cold deletes the
// branch first (untimed). Beside it, for context, the same change built and started by a script on the Docker daemon:
// `docker build` of web, then Debian's `docker-compose up -d` (1.29) of the same file (cold: after
// `down -v`, same cache-busting step), until the page answers with the new commit on a loopback
// port (`up -t 0`: no stop grace for the old container). Interleaved (docker, berth, docker, berth…) after a warm-up; medians and ratios.
// Needs root; starts dockerd if it is not running (skips the Docker side if docker-compose is missing).
//   node bench/preview.mjs [--runs N] [--warmup N]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { median } from "./lib/compare.mjs";
import { DOCKER, arg, ensureDocker, root, sleep, startBerth } from "./lib/instances.mjs";

const runs = arg("--runs", 5);
const warmup = arg("--warmup", 1);
const COMPOSE = "/usr/bin/docker-compose";
const PROJECT = `benchprev${process.pid}`;
const withDocker = fs.existsSync(COMPOSE);
const FIXTURE = path.join(root, "test/fixtures/previews/app");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-preview-"));

let seq = 0;
const sha = () => (Date.now().toString(16) + (seq++).toString(16).padStart(4, "0")).padEnd(40, "0").slice(0, 40);

/** A checkout at `commit`: the page names it; cold ones start web's Dockerfile with a step that differs every time. */
function checkout(dir, commit, cold, keepGit = false) {
  if (keepGit) for (const f of fs.readdirSync(dir)) if (f !== ".git") fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  if (!keepGit) fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(FIXTURE, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "web/www/index.html"), `commit ${commit}\n`);
  if (cold) {
    const df = path.join(dir, "web/Dockerfile");
    fs.writeFileSync(df, fs.readFileSync(df, "utf8").replace("FROM busybox\n", `FROM busybox\nRUN echo ${commit} > /built-from\n`));
  }
}

function getPage(opts) {
  return new Promise((resolve) => {
    const req = http.get({ ...opts, path: "/", timeout: 2_000, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d) => (body += d));
      res.once("end", () => resolve({ status: res.statusCode, body }));
    });
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve({ status: 0, body: "" }));
  });
}

/** Polls until the page names `commit`; every 5 ms. */
async function until(opts, commit) {
  for (let i = 0; i < 60_000; i++) {
    const r = await getPage(opts);
    if (r.status === 200 && r.body === `commit ${commit}\n`) return;
    await sleep(5);
  }
  throw new Error(`the page never showed ${commit}`);
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

if (withDocker) await ensureDocker();
const berth = await startBerth({ logLevel: "error" });
berth.berth("team", "create", "bench");
// deployPreview runs in this process against the instance, as web's push pipeline runs it.
Object.assign(process.env, { BERTH_HOME: berth.home, BERTH_EDGE_PORT: String(berth.edgePort), BERTH_PORT: new URL(berth.url).port, BERTH_LOG_LEVEL: "error", REDIS_URL: `unix://${path.join(berth.home, "redis", "redis.sock")}` });
delete process.env.DATABASE_URL;
const { deployPreview, removePreview } = await import(path.join(root, "web/dist/src/server/previews/index.js"));
const { createServices } = await import(path.join(root, "web/dist/src/server/services.js"));
const { createDb } = await import(path.join(root, "core/dist/db.js"));
const { createLogger } = await import(path.join(root, "core/dist/index.js"));
const db = createDb(`file:${path.join(berth.home, "berth.db")}`);
const services = createServices({ db, redisUrl: process.env.REDIS_URL, log: createLogger("bench", "error") });
const team = await db.team.findUniqueOrThrow({ where: { name: "bench" } });
const preview = { teamId: team.id, teamName: team.name, project: "shop", branch: "main" };
const berthDir = path.join(work, "berth");
let url;

// The git side: a project of its own, pushed to as a user would (the admin's token as the password).
const GIT_BRANCH = "bench";
const gitDir = path.join(work, "git");
const gitEnv = { ...process.env, HOME: work, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0", GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "bench@example.com", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "bench@example.com" };
process.env.BERTH_TEAM = "bench";
berth.berth("project", "create", "site");
const gitRemote = new URL(`${berth.url}/git/bench/site.git`);
gitRemote.username = "bench";
gitRemote.password = berth.token;
const gitHost = `${GIT_BRANCH}--site--bench.localhost:${berth.edgePort}`;
const gitPush = (refspec) => sh("git", ["push", "-q", gitRemote.toString(), refspec], { cwd: gitDir, env: gitEnv });
fs.mkdirSync(gitDir);
sh("git", ["init", "-q", "-b", GIT_BRANCH], { cwd: gitDir, env: gitEnv });

const dockerDir = path.join(work, "docker");
const dockerPort = 20000 + (process.pid % 20000);
/** Cold: nothing of the project left (untimed, as the preview's removal on Berth's side). */
const dockerDown = () => spawnSync(COMPOSE, ["-p", PROJECT, "-f", "compose.yaml", "-f", "ports.yaml", "down", "-v", "-t", "0"], { cwd: dockerDir, stdio: "ignore" });
const dockerUp = () => {
  sh(DOCKER, ["build", "-q", "-t", `${PROJECT}_web`, "web"], { cwd: dockerDir });
  // -t 0: the old container is killed at once, as Berth removes the old one once drained (busybox
  // httpd as PID 1 ignores SIGTERM: Docker's default 10 s stop grace would dominate the figure).
  sh(COMPOSE, ["-p", PROJECT, "-f", "compose.yaml", "-f", "ports.yaml", "up", "-d", "-t", "0"], { cwd: dockerDir });
};

const sides = {
  ...(withDocker && {
    "docker build + docker-compose up -d": async (cold) => {
      const commit = sha();
      if (cold) dockerDown();
      checkout(dockerDir, commit, cold);
      // The same file, plus web's port on loopback so this script can reach it.
      fs.writeFileSync(path.join(dockerDir, "ports.yaml"), `services:\n  web:\n    ports: ["127.0.0.1:${dockerPort}:8080"]\n`);
      const t0 = performance.now();
      dockerUp();
      await until({ host: "127.0.0.1", port: dockerPort }, commit);
      return performance.now() - t0;
    },
  }),
  "berth git push": async (cold) => {
    const commit = sha();
    if (cold) gitPush(`:${GIT_BRANCH}`);
    checkout(gitDir, commit, cold, true);
    sh("git", ["add", "-A"], { cwd: gitDir, env: gitEnv });
    sh("git", ["commit", "-q", "-m", commit], { cwd: gitDir, env: gitEnv });
    const t0 = performance.now();
    gitPush(`HEAD:refs/heads/${GIT_BRANCH}`);
    await until({ host: "127.0.0.1", port: berth.edgePort, headers: { host: gitHost, authorization: `Bearer ${berth.token}` } }, commit);
    return performance.now() - t0;
  },
  "berth deployPreview": async (cold) => {
    const commit = sha();
    if (cold) await removePreview({ services }, { ...preview, onLine: () => {} });
    checkout(berthDir, commit, cold);
    const t0 = performance.now();
    const out = await deployPreview({ services }, { ...preview, sha: commit, sourceDir: berthDir, trusted: true, onLine: () => {} });
    url ??= new URL(out.url);
    await until({ host: "127.0.0.1", port: berth.edgePort, headers: { host: url.host, authorization: `Bearer ${berth.token}` } }, commit);
    return performance.now() - t0;
  },
};
const names = Object.keys(sides);
const times = { warm: {}, cold: {} };
for (const k of Object.keys(times)) for (const n of names) times[k][n] = [];

try {
  console.log(`preview deploy to serving the new commit (${runs} interleaved runs after ${warmup} warm-up; ${os.cpus().length} cores${withDocker ? `; docker ${(await ensureDocker()).version}` : "; docker-compose not installed: Berth only"})`);
  // A first preview (and docker project) to replace.
  for (const n of names) await sides[n](false);
  for (let i = 0; i < warmup + runs; i++) {
    for (const n of names) {
      const warm = await sides[n](false);
      const cold = await sides[n](true);
      if (i >= warmup) {
        times.warm[n].push(warm);
        times.cold[n].push(cold);
      }
    }
  }
  const rows = [];
  for (const [what, byName] of Object.entries(times)) {
    const base = median(byName[names[0]]);
    for (const n of names) {
      const m = median(byName[n]);
      rows.push({ case: what, side: n, median_ms: +m.toFixed(0), min_ms: +Math.min(...byName[n]).toFixed(0), ratio_to_first: +(m / base).toFixed(2) });
    }
  }
  console.table(rows);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await removePreview({ services }, { ...preview, onLine: () => {} }).catch(() => {});
  if (withDocker) {
    dockerDown();
    spawnSync(DOCKER, ["rmi", `${PROJECT}_web`], { stdio: "ignore" });
  }
  await services.queues.close();
  services.redis.disconnect();
  await db.$disconnect();
  await berth.stop();
  fs.rmSync(work, { recursive: true, force: true });
  // Process-lifetime Redis readers of the imported web modules would hold the process open.
  process.exit(process.exitCode ?? 0);
}
