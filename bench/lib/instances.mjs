// What every Berth-vs-Docker bench starts with: a running dockerd (Debian's docker.io, installed
// and started if needed), a busybox image in Docker with the same root Berth's has, and a
// throwaway Berth (own BERTH_HOME, own port, own Redis) with its CLI.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The engine's own client (a newer one may sit first on PATH). */
export const DOCKER = "/usr/bin/docker";
export const BERTH_BIN = path.join(root, "cli/bin/berth.js");
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 24, ...opts });

export const docker = (...args) => sh(DOCKER, args);

/** Milliseconds a synchronous function takes. */
export function timed(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** `--name value` from argv, else def (numbers when def is a number). */
export function arg(name, def) {
  const i = process.argv.indexOf(name);
  if (i < 0) return def;
  return typeof def === "number" ? Number(process.argv[i + 1]) : process.argv[i + 1];
}

/**
 * dockerd up (installing docker.io and starting it if asked to, else failing with how to start it);
 * with busybox: a busybox:latest made of the host's busybox-static, as Berth's own busybox image.
 */
export async function ensureDocker({ start = true, busybox = true } = {}) {
  if (!fs.existsSync("/usr/sbin/dockerd")) {
    if (!start) throw new Error("bench: docker.io is not installed (apt-get install docker.io)");
    console.error("bench: installing docker.io from Debian (the comparison baseline)");
    sh("apt-get", ["install", "-y", "-qq", "docker.io"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  }
  if (spawnSync(DOCKER, ["info"], { stdio: "ignore" }).status !== 0) {
    if (!start) throw new Error("bench: dockerd is not running (start it: /usr/sbin/dockerd --iptables=true &)");
    console.error("bench: starting dockerd");
    const logFd = fs.openSync("/tmp/berth-bench-dockerd.log", "a");
    const d = spawn("/usr/sbin/dockerd", ["--iptables=true"], { stdio: ["ignore", logFd, logFd], detached: true });
    d.unref();
    for (let i = 0; spawnSync(DOCKER, ["info"], { stdio: "ignore" }).status !== 0; i++) {
      if (i > 300) throw new Error("dockerd did not start; see /tmp/berth-bench-dockerd.log");
      await sleep(100);
    }
  }
  if (busybox && spawnSync(DOCKER, ["image", "inspect", "busybox:latest"], { stdio: "ignore" }).status !== 0) {
    // The same root Berth's busybox image holds: the host's busybox-static and its applet links.
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), "bench-busybox-"));
    try {
      fs.mkdirSync(path.join(stage, "bin"));
      fs.copyFileSync("/bin/busybox", path.join(stage, "bin/busybox"));
      fs.chmodSync(path.join(stage, "bin/busybox"), 0o755);
      sh(path.join(stage, "bin/busybox"), ["--install", "-s", path.join(stage, "bin")]);
      for (const l of fs.readdirSync(path.join(stage, "bin"))) {
        if (l !== "busybox") {
          fs.unlinkSync(path.join(stage, "bin", l));
          fs.symlinkSync("/bin/busybox", path.join(stage, "bin", l));
        }
      }
      for (const d of ["proc", "sys", "dev", "etc", "tmp"]) fs.mkdirSync(path.join(stage, d));
      const tar = spawnSync("tar", ["-C", stage, "-c", "."], { maxBuffer: 1 << 28 });
      const imp = spawnSync(DOCKER, ["import", "-c", 'CMD ["sh"]', "-", "busybox:latest"], { input: tar.stdout });
      if (imp.status !== 0) throw new Error(`docker import failed: ${imp.stderr}`);
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  }
  return { version: docker("version", "--format", "{{.Server.Version}}").trim() };
}

/**
 * A throwaway Berth (scripts/start.mjs: Redis, web, worker) on a random port with its own home.
 * Resolves once a worker host is online. `berth(...args)` runs the CLI against it.
 */
export async function startBerth({ logLevel = "warn", env: extraEnv = {} } = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "berth-bench-"));
  const port = 39000 + Math.floor(Math.random() * 1000);
  const edgePort = port + 1000;
  const env = { ...process.env, BERTH_HOME: home, BERTH_PORT: String(port), BERTH_EDGE_PORT: String(edgePort), BERTH_HOST: "127.0.0.1", BERTH_LOG_LEVEL: logLevel, ...extraEnv };
  delete env.REDIS_URL;
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [path.join(root, "scripts/start.mjs")], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise((r) => child.once("exit", r));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await (await fetch(`${url}/api/health`)).json()).hostsOnline > 0) break;
    } catch {}
    if (i > 600 || child.exitCode !== null) throw new Error("berth did not start");
    await sleep(100);
  }
  const token = fs.readFileSync(path.join(home, "admin.token"), "utf8").trim();
  const cliEnv = { BERTH_URL: url, BERTH_TOKEN: token };
  return {
    url,
    home,
    token,
    /** The edge (router) serving port links. */
    edgePort,
    /** For compare(): the variables the CLI needs. */
    env: cliEnv,
    /** The PIDs of web, worker and redis (children of the launcher). */
    pid: child.pid,
    berth: (...args) => sh(process.execPath, [BERTH_BIN, ...args], { env: { ...process.env, ...cliEnv } }),
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGINT");
        await exited;
      }
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
