import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { networkLeaksOf } from "./network-leaks.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CLI = path.join(ROOT, "cli/bin/berth.js");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Instance {
  url: string;
  home: string;
  port: number;
  /** The edge's (router's) port: port links are http://<name>-<port>--<team>.localhost:<edgePort>/ */
  edgePort: number;
  /** The admin API token `npm start` wrote to $BERTH_HOME/admin.token. */
  token: string;
  /** Runs the real CLI against this instance. */
  berth(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult>;
  /** Everything the instance's processes logged so far. */
  logs(): string;
  /** Settles with the launcher's exit code once this process has seen it exit (reaped, not only gone from /proc). */
  exited: Promise<number | null>;
  /** Ctrl-C, then the leak checks; BERTH_HOME is removed unless `keepHome` (to start again on it). */
  stop(opts?: { keepHome?: boolean }): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} timed out after ${opts.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The host's static busybox (scripts/setup.sh installs busybox-static), for images made outside Berth. */
export function hostBusybox(): string {
  const found = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
  if (!found) throw new Error("no busybox on this host: scripts/setup.sh installs busybox-static");
  return found;
}

/**
 * Starts a whole Berth (its own Redis, migrated SQLite, web, worker) with a fresh BERTH_HOME
 * on a free port, through the same launcher `npm start` uses. Several run side by side.
 */
export async function startInstance(opts: { env?: NodeJS.ProcessEnv; home?: string; args?: string[] } = {}): Promise<Instance> {
  const home = opts.home ?? fs.mkdtempSync(path.join(os.tmpdir(), "berth-test-"));
  const port = await freePort();
  const edgePort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOME: home, BERTH_PORT: String(port), BERTH_EDGE_PORT: String(edgePort), BERTH_HOST: "127.0.0.1", BERTH_LOG_LEVEL: "info", ...opts.env };
  delete env.REDIS_URL;
  delete env.DATABASE_URL;
  delete env.BERTH_TOKEN;
  delete env.BERTH_URL;
  let output = "";
  // Its own process group, so stop() can send SIGINT to all of it, as Ctrl-C in a terminal does.
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, "scripts/start.mjs"), ...(opts.args ?? [])], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`berth exited during start-up (code ${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${url}/api/health`);
      const body = (await res.json()) as { hostsOnline?: number };
      if (res.ok && (body.hostsOnline ?? 0) > 0) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`berth did not become ready in 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = fs.readFileSync(path.join(home, "admin.token"), "utf8").trim();

  return {
    url,
    home,
    port,
    edgePort: Number(env.BERTH_EDGE_PORT),
    token,
    berth: (args, o = {}) =>
      run(process.execPath, ["--", CLI, ...args], {
        env: { ...process.env, BERTH_URL: url, BERTH_TOKEN: token, BERTH_HOME: home, ...o.env },
        ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      }),
    logs: () => output,
    exited,
    async stop(o = {}) {
      if (child.exitCode === null) {
        process.kill(-child.pid!, "SIGINT");
        const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 40_000);
        const code = await exited;
        clearTimeout(timer);
        if (code !== 0) throw new Error(`berth exited with code ${code} on Ctrl-C:\n${output}`);
      }
      // Ctrl-C leaves nothing behind: no mount, no container process, no Redis, no cgroup.
      const leaks = { mounts: mountsUnder(home), containerProcesses: processesUnder(home), shims: shimsUnder(home), portProxies: portProxiesOf(home), redis: redisOf(home), cgroups: cgroupsOf(home) };
      if (leaks.mounts.length || leaks.containerProcesses.length || leaks.shims.length || leaks.portProxies.length || leaks.redis.length || leaks.cgroups.length) {
        throw new Error(`berth left things behind after Ctrl-C: ${JSON.stringify(leaks)}`);
      }
      const netLeaks = networkLeaksOf(home);
      if (netLeaks.length) throw new Error(`berth left network state behind after Ctrl-C: ${JSON.stringify(netLeaks)}`);
      if (!o.keepHome) fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Mount points under a directory, from this process's mount table (the host's). */
export function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)));
}

/**
 * Processes of an instance's containers: their mount table names the overlay under
 * BERTH_HOME/containers (host processes never see that mount; it lives in the container's own
 * mount namespace).
 */
export function processesUnder(home: string): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${p}/mountinfo`, "utf8").includes(`${home}/containers/`)) pids.push(Number(p));
    } catch {
      /* gone, or a kernel thread */
    }
  }
  return pids;
}

/** Live berth-shim processes (a container's parent) of this instance: their cwd is a container's directory. */
export function shimsUnder(home: string): number[] {
  return fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
    try {
      return /berth-shim$/.test(fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0")[0]!) && fs.readlinkSync(`/proc/${p}/cwd`).startsWith(`${home}/containers/`);
    } catch {
      return false; // gone, or a zombie (no cwd)
    }
  });
}

/** Live port proxies (a container's published ports, native berth-port-proxy, its argv[1] is the marker) of this instance. */
export function portProxiesOf(home: string): number[] {
  return fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").includes("berth-port-proxy") && fs.readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${home}`);
    } catch {
      return false; // gone, or a zombie
    }
  });
}

/** The instance's process running `script` (e.g. "web/dist/server.js"): the launcher's child with this BERTH_HOME. */
export function pidOf(home: string, script: string): number | null {
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(path.join(ROOT, script))) continue;
      if (fs.readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${home}`)) return Number(p);
    } catch {
      /* gone */
    }
  }
  return null;
}

/** redis-server processes serving this instance's socket. */
function redisOf(home: string): number[] {
  return fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("redis-server") && fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(home);
    } catch {
      return false;
    }
  });
}

/** This instance's cgroup directories (berth-<hostId>) in any hierarchy. */
export function cgroupsOf(home: string): string[] {
  let hostId: string;
  try {
    hostId = fs.readFileSync(path.join(home, "host-id"), "utf8").trim();
  } catch {
    return [];
  }
  const found: string[] = [];
  const roots = fs.readdirSync("/sys/fs/cgroup").map((d) => path.join("/sys/fs/cgroup", d));
  for (const root of ["/sys/fs/cgroup", ...roots]) {
    const dir = path.join(root, `berth-${hostId}`);
    if (fs.existsSync(dir)) found.push(dir);
  }
  return found;
}

/**
 * One Berth for the whole test file: started before its tests, stopped (with stop()'s leak
 * checks) after them. The returned object stands for the instance once it runs.
 */
export function useInstance(opts: { env?: NodeJS.ProcessEnv } = {}): Instance {
  let inst: Instance | undefined;
  beforeAll(async () => {
    inst = await startInstance(opts);
  }, 120_000);
  afterAll(async () => {
    if (inst) await inst.stop();
  });
  // A failed test carries the instance's warnings and errors logged while it ran (and containers'
  // exits and links leaving the edge's table): CI shows only the failure, and a rare one cannot
  // be explained afterwards without them.
  let mark = 0;
  beforeEach(() => {
    mark = inst?.logs().length ?? 0;
  });
  afterEach((ctx) => {
    const r = ctx.task.result;
    if (!inst || r?.state !== "fail" || !r.errors?.[0]) return;
    const lines = inst.logs().slice(mark).split("\n").filter((l) => /"level":(40|50|60)\b|^berth: |"msg":"(edge: route table|container exited)/.test(l));
    if (lines.length) r.errors[0].message += `\n\nThe instance's warnings, errors, exits and lost links during this test (last ${Math.min(lines.length, 15)} of ${lines.length}):\n${lines.slice(-15).map((l) => l.slice(0, 600)).join("\n")}`;
  });
  return new Proxy({} as Instance, {
    get(_, key) {
      if (!inst) throw new Error(`the Berth instance is not running (used outside a test, or its start failed): ${String(key)}`);
      return inst[key as keyof Instance];
    },
  });
}
