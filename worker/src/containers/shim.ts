import { closeSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { HealthSettings } from "@berth/core";
import { killContainer, shimOpen, shimRelease, shimWait, type ShimHandle, type WaitResult } from "@berth/native";
import type { ExecTarget } from "./terminal.js";

/**
 * A container's shim (native berth-shim) is its parent instead of the worker: the container
 * survives a worker crash or restart, the shim keeps its output open while no worker reads it,
 * and the next worker gets the output and the exit from it (see README "Containers across
 * worker restarts"). This file is the worker's side: the record a later worker adopts a running
 * container from, and the shim's exit.
 */

/** What a later worker needs to take a running container over; written once it runs. */
export interface RunningRecord {
  pid: number;
  /** The log run it writes to (no new start marker on adoption). */
  run: string;
  startedAt: string;
  tty: boolean;
  exec: ExecTarget;
  health?: HealthSettings;
}

const RECORD = "running.json";
const EXIT_FILE = "shim.exit";

export async function writeRunningRecord(dir: string, rec: RunningRecord): Promise<void> {
  const tmp = path.join(dir, `${RECORD}.tmp`);
  await fs.writeFile(tmp, JSON.stringify(rec), { mode: 0o600 });
  await fs.rename(tmp, path.join(dir, RECORD));
}

export async function readRunningRecord(dir: string): Promise<RunningRecord | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, RECORD), "utf8")) as RunningRecord;
  } catch {
    return undefined; // none (started by a worker before shims) or torn: not adoptable
  }
}

export async function removeRunningRecord(dir: string): Promise<void> {
  await fs.rm(path.join(dir, RECORD), { force: true });
}

/** The exit the shim wrote before it went (it writes it before it stops listening). */
export async function readExitFile(dir: string): Promise<WaitResult | undefined> {
  try {
    const r = JSON.parse(await fs.readFile(path.join(dir, EXIT_FILE), "utf8")) as WaitResult;
    return { exitCode: r.exitCode ?? null, signal: r.signal ?? null };
  } catch {
    return undefined;
  }
}

/** The container's shim, handed `hold` first if given; undefined when no shim runs for `dir`. */
export async function openShim(dir: string, hold?: number[]): Promise<ShimHandle | undefined> {
  try {
    return await shimOpen(dir, hold ?? null);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ECONNREFUSED") return undefined;
    throw e;
  }
}

/** A shim that vanished without a word (killed): its container died with it (PR_SET_PDEATHSIG). */
const SHIM_GONE: WaitResult = { exitCode: null, signal: 9 };

/** The container's exit: from the shim's connection, else from the file it left. */
export async function exitOf(dir: string, conn: number | undefined): Promise<WaitResult> {
  if (conn !== undefined) {
    const r = await shimWait(conn).catch(() => undefined);
    if (r) return r;
  }
  return (await readExitFile(dir)) ?? SHIM_GONE;
}

/** The exit is recorded: the shim may go. */
export function releaseShim(conn: number | undefined): void {
  if (conn === undefined) return;
  try {
    shimRelease(conn);
  } catch {
    /* the shim is gone already */
  }
}

/**
 * After a worker that died instead of stopping (the launcher's clean-up): every container still
 * under a shim is killed and its shim let go (it leaves once it reaped the container). The caller
 * removes the cgroups after (a frozen container dies only when its cgroup is emptied).
 */
export async function endAllShims(containersDir: string): Promise<number> {
  let ended = 0;
  const names = await fs.readdir(containersDir).catch(() => [] as string[]);
  for (const n of names) {
    let h: ShimHandle | undefined;
    try {
      h = await openShim(path.join(containersDir, n));
    } catch {
      continue;
    }
    if (!h) continue;
    for (const fd of h.fds) closeSync(fd);
    if (!h.exit) {
      try {
        killContainer(h.pid, 9);
      } catch {
        /* gone */
      }
    }
    releaseShim(h.conn); // before the exit too: the shim then goes as soon as it comes
    ended++;
  }
  return ended;
}
