import fs from "node:fs/promises";
import path from "node:path";
import { openPipe, removeCgroup, spawnContainer, waitContainer } from "@berth/native";
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
}

/**
 * Runs one RUN step in a real container (same runtime as `berth run`, own network namespace
 * with nothing in it) over the chain so far; its changes land in `<dir>/upper`. Returns the
 * exit code (null when killed by a signal, with the signal).
 */
export async function runStep(s: RunStepSpec): Promise<{ exitCode: number | null; upper: string }> {
  const upper = path.join(s.dir, "upper");
  await Promise.all(["upper", "work", "rootfs", "empty"].map((d) => fs.mkdir(path.join(s.dir, d), { recursive: true })));
  const lowerdirs = s.lowerdirs.length ? s.lowerdirs : [path.join(s.dir, "empty")];
  const ids = await resolveUser(s.user, lowerdirs);
  const env = [...s.env];
  if (!env.some((e) => e.startsWith("PATH="))) env.unshift(DEFAULT_PATH);
  if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${ids.uid === 0 ? "/root" : "/"}`);
  const spawned = await spawnContainer({
    rootfs: path.join(s.dir, "rootfs"),
    lowerdirs,
    upperdir: upper,
    workdir: path.join(s.dir, "work"),
    args: s.args,
    env,
    cwd: s.cwd,
    hostname: "buildkitsandbox",
    ...ids,
    cgroup: { path: s.cgroup },
  });
  const pump = async (fd: number) => {
    for await (const chunk of openPipe(fd)) s.onOutput(String(chunk));
  };
  const outputs = Promise.all([pump(spawned.stdout), pump(spawned.stderr)]);
  const status = await waitContainer(spawned.pid);
  await outputs.catch(() => undefined);
  await removeCgroup(s.cgroup).catch(() => undefined);
  return { exitCode: exitCodeOf(status), upper };
}
