import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { openPipe, removeCgroup, spawnContainer, waitContainer } from "@berth/native";
import { writeInPlace } from "../network/files.js";
import type { NetworkService, Prepared } from "../network/index.js";
import { DEFAULT_PATH, resolveUser } from "../containers/spec.js";
import { exitCodeOf } from "../containers/exit-status.js";

export interface RunStepSpec {
  /** Snapshot dirs of the current chain, topmost first (may be empty: scratch). */
  lowerdirs: string[];
  /** A fresh directory for this step: upper/, work/, rootfs/ are made inside. */
  dir: string;
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  cgroup: string;
  onOutput: (chunk: string) => void;
  /** `build --network`: default (= bridge) joins the default bridge network for this step; none (or no service) leaves only lo. */
  network?: { service: NetworkService; mode: "default" | "bridge" | "host" | "none" };
  /** Kills the step's process when aborted (a cancelled build). */
  signal?: AbortSignal;
}

/**
 * Runs one RUN step in a real container (same runtime as `berth run`; on the build's network:
 * by default an endpoint on the bridge network, released when the step ends) over the chain so
 * far; its changes land in `<dir>/upper`. Returns the exit code (null when killed by a signal,
 * with the signal).
 */
export async function runStep(s: RunStepSpec): Promise<{ exitCode: number | null; upper: string }> {
  const upper = path.join(s.dir, "upper");
  await Promise.all(["upper", "work", "rootfs", "empty"].map((d) => fs.mkdir(path.join(s.dir, d), { recursive: true })));
  const lowerdirs = s.lowerdirs.length ? s.lowerdirs : [path.join(s.dir, "empty")];
  const ids = await resolveUser(s.user, lowerdirs);
  const env = [...s.env];
  if (!env.some((e) => e.startsWith("PATH="))) env.unshift(DEFAULT_PATH);
  if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${ids.uid === 0 ? "/root" : "/"}`);
  const net = await joinNetwork(s);
  try {
    return await spawnAndWait(s, net?.prepared, lowerdirs, upper, ids, env);
  } finally {
    if (net) await net.release();
  }
}

/**
 * The step's endpoint, hosts, hostname and resolv.conf (kept in `<dir>/net`, outside the upper
 * dir) and the init layer that gives their bind mounts a mount point: none of it reaches the layer.
 */
async function joinNetwork(s: RunStepSpec): Promise<{ prepared: Prepared; release: () => Promise<void> } | undefined> {
  if (!s.network || s.network.mode === "none") return undefined;
  const { service } = s.network;
  const dir = path.join(s.dir, "net");
  await fs.mkdir(dir, { recursive: true });
  const id = randomBytes(32).toString("hex");
  const prepared = await service.prepare({ id, name: path.basename(s.cgroup), dir }, { network: s.network.mode === "host" ? "host" : "bridge" });
  if (s.network.mode !== "host") await writeInPlace(path.join(dir, "hostname"), `${HOSTNAME}\n`);
  return { prepared, release: () => service.release(id) };
}

const HOSTNAME = "buildkitsandbox";

async function spawnAndWait(s: RunStepSpec, net: Prepared | undefined, lowerdirs: string[], upper: string, ids: Awaited<ReturnType<typeof resolveUser>>, env: string[]): Promise<{ exitCode: number | null; upper: string }> {
  const spawned = await spawnContainer({
    ...(net ? { network: net.network, binds: net.binds } : {}),
    rootfs: path.join(s.dir, "rootfs"),
    lowerdirs: net ? [net.initLayer, ...lowerdirs] : lowerdirs,
    upperdir: upper,
    workdir: path.join(s.dir, "work"),
    args: s.args,
    env,
    cwd: s.cwd,
    hostname: HOSTNAME,
    ...ids,
    cgroup: { path: s.cgroup },
  });
  const pump = async (fd: number) => {
    for await (const chunk of openPipe(fd)) s.onOutput(String(chunk));
  };
  const outputs = Promise.all([pump(spawned.stdout), pump(spawned.stderr)]);
  const kill = () => {
    try {
      process.kill(spawned.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  s.signal?.addEventListener("abort", kill, { once: true });
  if (s.signal?.aborted) kill();
  const status = await waitContainer(spawned.pid).finally(() => s.signal?.removeEventListener("abort", kill));
  await outputs.catch(() => undefined);
  await removeCgroup(s.cgroup).catch(() => undefined);
  return { exitCode: exitCodeOf(status), upper };
}
