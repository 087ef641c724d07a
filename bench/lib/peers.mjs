// The peers benchmarks run against: Debian's Docker engine (started if needed, with the same
// busybox root Berth's image holds) and a throwaway Berth. Needs root.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const DOCKER = "/usr/bin/docker"; // the engine's own client (a newer one may sit first on PATH)
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function ensureDocker() {
  if (!fs.existsSync("/usr/sbin/dockerd")) {
    console.error("bench: installing docker.io from Debian (the comparison baseline)");
    sh("apt-get", ["install", "-y", "-qq", "docker.io"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  }
  if (spawnSync(DOCKER, ["info"], { stdio: "ignore" }).status !== 0) {
    console.error("bench: starting dockerd");
    const d = spawn("/usr/sbin/dockerd", ["--iptables=true"], { stdio: ["ignore", fs.openSync("/tmp/berth-bench-dockerd.log", "a"), fs.openSync("/tmp/berth-bench-dockerd.log", "a")], detached: true });
    d.unref();
    for (let i = 0; spawnSync(DOCKER, ["info"], { stdio: "ignore" }).status !== 0; i++) {
      if (i > 300) throw new Error("dockerd did not start; see /tmp/berth-bench-dockerd.log");
      await sleep(100);
    }
  }
  if (spawnSync(DOCKER, ["image", "inspect", "busybox:latest"], { stdio: "ignore" }).status !== 0) {
    // The same root Berth's busybox image holds: the host's busybox-static and its applet links.
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), "bench-busybox-"));
    fs.mkdirSync(path.join(stage, "bin"));
    fs.copyFileSync("/bin/busybox", path.join(stage, "bin/busybox"));
    fs.chmodSync(path.join(stage, "bin/busybox"), 0o755);
    sh(path.join(stage, "bin/busybox"), ["--install", "-s", path.join(stage, "bin")]);
    for (const l of fs.readdirSync(path.join(stage, "bin"))) {
      if (l !== "busybox") { fs.unlinkSync(path.join(stage, "bin", l)); fs.symlinkSync("/bin/busybox", path.join(stage, "bin", l)); }
    }
    for (const d of ["proc", "sys", "dev", "etc", "tmp"]) fs.mkdirSync(path.join(stage, d));
    const tar = spawnSync("tar", ["-C", stage, "-c", "."], { maxBuffer: 1 << 28 });
    const imp = spawnSync(DOCKER, ["import", "-c", 'CMD ["sh"]', "-", "busybox:latest"], { input: tar.stdout });
    fs.rmSync(stage, { recursive: true, force: true });
    if (imp.status !== 0) throw new Error(`docker import failed: ${imp.stderr}`);
  }
}

export async function startBerth() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "berth-bench-"));
  const port = 39000 + Math.floor(Math.random() * 1000);
  const env = { ...process.env, BERTH_HOME: home, BERTH_PORT: String(port), BERTH_HOST: "127.0.0.1", BERTH_LOG_LEVEL: "warn" };
  delete env.REDIS_URL;
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [path.join(root, "scripts/start.mjs")], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const body = await (await fetch(`${url}/api/health`)).json();
      if (body.hostsOnline > 0) break;
    } catch {}
    if (i > 600) throw new Error("berth did not start");
    await sleep(100);
  }
  const token = fs.readFileSync(path.join(home, "admin.token"), "utf8").trim();
  return {
    home,
    env: { BERTH_URL: url, BERTH_TOKEN: token },
    async stop() {
      child.kill("SIGINT");
      await new Promise((r) => child.once("exit", r));
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

