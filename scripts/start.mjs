#!/usr/bin/env node
// Runs one Berth host: Redis (unless REDIS_URL is set), DB migrations, web, a worker, and the
// edge (the router serving port links on BERTH_EDGE_PORT; its own process so links keep
// working while web restarts).
// Ctrl-C (or SIGTERM) stops the worker first (it stops its containers), then web, then Redis.
// A web or worker that dies on its own is started again (a supervisor, as a daemon's users
// expect); one that keeps dying gives up with a message. Redis dying stops everything.
//
// `npm start -- --rotate-agent-key` replaces $BERTH_HOME/agent.key (the secret workers present
// to web's /agent link) before web and the worker start, so a copy of the old key is worthless.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { agentKeyPath, config, homePaths } from "@berth/core";
import { connectRedis } from "@berth/core/redis";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cfg = config();
const paths = homePaths(cfg.home);
const say = (msg) => process.stderr.write(`berth: ${msg}\n`);

const OPTIONS = new Set(["--rotate-agent-key"]);
const unknown = process.argv.slice(2).filter((a) => !OPTIONS.has(a));
if (unknown.length) {
  say(`unknown option ${unknown[0]}: scripts/start.mjs takes ${[...OPTIONS].join(", ")}`);
  process.exit(2);
}
const rotateAgentKey = process.argv.includes("--rotate-agent-key");

fs.mkdirSync(cfg.home, { recursive: true, mode: 0o711 });
const env = { ...process.env, BERTH_HOME: cfg.home, BERTH_PORT: String(cfg.port), DATABASE_URL: cfg.databaseUrl };

const children = [];
let stopping = false;

function start(name, cmd, args, { detached = false } = {}) {
  const child = spawn(cmd, args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"], detached });
  child.name = name;
  child.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.exited.then(({ code, signal }) => {
    if (stopping) return;
    if (SUPERVISED.has(name)) return void respawn(child, { cmd, args, detached }, signal ?? `code ${code}`);
    say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping Berth`);
    void stop(1);
  });
  children.push(child);
  return child;
}

// Supervision: restart after 0.5 s, doubling to 8 s; more than CRASH_LIMIT deaths in CRASH_WINDOW_MS is a crash loop.
const SUPERVISED = new Set(["web", "worker", "edge"]);
const CRASH_LIMIT = 5;
const CRASH_WINDOW_MS = 60_000;
const crashes = new Map();

async function respawn(old, { cmd, args, detached }, how) {
  const name = old.name;
  const now = Date.now();
  const recent = (crashes.get(name) ?? []).filter((t) => now - t < CRASH_WINDOW_MS);
  recent.push(now);
  crashes.set(name, recent);
  if (recent.length > CRASH_LIMIT) {
    say(`${name} exited unexpectedly (${how}) ${recent.length} times in ${CRASH_WINDOW_MS / 1000} s; giving up and stopping Berth (see its output above)`);
    void stop(1);
    return;
  }
  const delay = Math.min(500 * 2 ** (recent.length - 1), 8_000);
  say(`${name} exited unexpectedly (${how}); starting it again in ${delay} ms`);
  await new Promise((r) => setTimeout(r, delay));
  if (stopping) return;
  children.splice(children.indexOf(old), 1);
  start(name, cmd, args, { detached });
}

async function stopChild(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  await child.exited;
  clearTimeout(timer);
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  const byName = (n) => children.find((c) => c.name === n);
  // Order matters: the worker stops containers and needs Redis and the DB while it does.
  for (const [name, t] of [["edge", 5_000], ["worker", 25_000], ["web", 10_000], ["redis", 10_000]]) {
    const c = byName(name);
    if (c) await stopChild(c, t);
    if (name === "worker" && c && c.exitCode !== 0) cleanUpAfterWorker();
  }
  process.exit(code);
}
/** A worker that died (or was killed) instead of stopping leaves cgroups, mounts, links and rules: remove them. */
function cleanUpAfterWorker() {
  const r = spawnSync(process.execPath, [path.join(root, "worker/dist/cleanup.js")], { cwd: root, env, stdio: ["ignore", "inherit", "inherit"], timeout: 30_000 });
  if (r.status !== 0) say(`the clean-up after the worker failed (${r.error?.message ?? `exit ${r.status}`}); the next start cleans up again`);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

async function waitFor(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A Redis left running by a launcher that was killed (SIGKILL, crash): stop it before starting ours. */
function reapStaleRedis(pidfile) {
  let pid;
  try {
    pid = Number(fs.readFileSync(pidfile, "utf8").trim());
  } catch {
    return;
  }
  try {
    if (pid > 0 && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("redis-server")) {
      say(`stopping a Redis (pid ${pid}) left behind by a previous run`);
      process.kill(pid, "SIGTERM");
      for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`); i++) spawnSync("sleep", ["0.05"]);
    }
  } catch {
    /* already gone */
  }
  fs.rmSync(pidfile, { force: true });
}

async function main() {
  let redisUrl = cfg.redisUrl;
  if (!redisUrl) {
    fs.mkdirSync(paths.redis, { recursive: true, mode: 0o700 });
    if (Buffer.byteLength(paths.redisSocket) > 100) throw new Error(`BERTH_HOME is too long for a Unix socket path: ${paths.redisSocket}`);
    const pidfile = path.join(paths.redis, "redis.pid");
    reapStaleRedis(pidfile);
    fs.rmSync(paths.redisSocket, { force: true });
    // Its own process group: Ctrl-C in the terminal reaches web and the worker at once, but Redis
    // must outlive the worker, which records its containers' exits there while it stops them.
    start("redis", "redis-server", [
      "--port", "0", "--unixsocket", paths.redisSocket, "--unixsocketperm", "700", "--pidfile", pidfile,
      "--dir", paths.redis, "--appendonly", "yes", "--save", "", "--daemonize", "no", "--loglevel", "warning",
    ], { detached: true });
    redisUrl = `unix://${paths.redisSocket}`;
    await waitFor("redis", async () => {
      const r = connectRedis(redisUrl, { lazyConnect: true, retryStrategy: () => null });
      r.on("error", () => {}); // not up yet: connect() rejects, and we try again
      try {
        await r.connect();
        return (await r.ping()) === "PONG";
      } finally {
        r.disconnect();
      }
    }, 15_000);
  }
  env.REDIS_URL = redisUrl;

  const migrate = spawnSync(process.execPath, [path.join(root, "node_modules/prisma/build/index.js"), "migrate", "deploy"], {
    cwd: root, env, encoding: "utf8",
  });
  if (migrate.status !== 0) throw new Error(`database migration failed:\n${migrate.stdout}${migrate.stderr}`);

  if (rotateAgentKey) {
    // Same format web writes (web/src/server/agent/key.ts); write-then-rename, never readable by others.
    const file = agentKeyPath(cfg.home);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
    say(`rotated the agent key (${file}): the old one no longer opens the /agent link`);
  }
  start("web", process.execPath, [path.join(root, "web/dist/server.js")]);
  start("worker", process.execPath, [path.join(root, "worker/dist/main.js")]);
  start("edge", process.execPath, [path.join(root, "web/dist/edge.js")]);
  await waitFor("web and worker", async () => {
    const res = await fetch(`http://127.0.0.1:${cfg.port}/api/health`);
    const body = await res.json();
    return res.ok && body.hostsOnline > 0;
  }, 60_000);
  say(`running at http://127.0.0.1:${cfg.port} (home ${cfg.home}); admin token in ${paths.adminToken}`);
  say(`port links at http://<name>-<port>--<team>.${cfg.domain}:${cfg.edgePort}/`);
  let setupCode = "";
  try {
    setupCode = fs.readFileSync(paths.setupCode, "utf8").trim();
  } catch {
    // set up already (web removes the code once an admin has a password)
  }
  if (setupCode) say(`create the dashboard's admin account at http://127.0.0.1:${cfg.port}/?setup=${setupCode} (one-time code, also in ${paths.setupCode})`);
  // scripts/setup.sh links /usr/local/bin/berth to this checkout's CLI when it can.
  let linked = false;
  try {
    linked = fs.realpathSync("/usr/local/bin/berth") === fs.realpathSync(path.join(root, "cli/bin/berth.js"));
  } catch {
    // no link
  }
  say(`try: ${linked ? "berth" : "npx berth"} run busybox echo hello`);
}

main().catch((err) => {
  say(`failed to start: ${err.message}`);
  void stop(1);
});
