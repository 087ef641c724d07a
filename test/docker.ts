import { spawn } from "node:child_process";
import fs from "node:fs";
import { run } from "./harness.js";

/** The Debian engine's own client (a newer client may sit first on PATH). */
export const DOCKER = "/usr/bin/docker";
const DOCKERD = "/usr/sbin/dockerd";
const DOCKERD_LOG = "/tmp/berth-test-dockerd.log";

export const docker = (args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) =>
  run(DOCKER, args, { timeoutMs: opts.timeoutMs ?? 120_000, ...(opts.env ? { env: opts.env } : {}) });

/** Starts dockerd if it is not running, and leaves it running (other tests may use it). */
export async function ensureDockerd(): Promise<void> {
  if (!fs.existsSync(DOCKER) || !fs.existsSync(DOCKERD)) throw new Error("docker.io is not installed: scripts/setup.sh --test installs it");
  if ((await docker(["info", "--format", "{{.ServerVersion}}"])).code === 0) return;
  const log = fs.openSync(DOCKERD_LOG, "a");
  const child = spawn(DOCKERD, ["--iptables=true"], { detached: true, stdio: ["ignore", log, log] });
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await docker(["info", "--format", "{{.ServerVersion}}"])).code === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`dockerd did not come up in 60 s; see ${DOCKERD_LOG}:\n${fs.readFileSync(DOCKERD_LOG, "utf8").slice(-2000)}`);
}
