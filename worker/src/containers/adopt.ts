import { closeSync } from "node:fs";
import path from "node:path";
import { ContainerOptions, logConfigOf, type Logger } from "@berth/core";
import { freezeCgroup, removeCgroup, shimWait, type ShimHandle } from "@berth/native";
import type { Db } from "@berth/core/db";
import type { Attachments } from "./attachments.js";
import type { ManagerContext } from "./context.js";
import { running } from "../host/process.js";
import { exitCodeOf } from "./exit-status.js";
import type { ExitPath } from "./exit-path.js";
import { LogSink } from "./log-sink.js";
import { openShim, readExitFile, readRunningRecord, releaseShim, removeRunningRecord } from "./shim.js";
import { tryKill } from "./start-path.js";
import { supervise } from "./supervise.js";

/**
 * What a worker's start-up did with a container the previous worker left running:
 * - adopted: it runs on under its shim, watched by this worker (or it had ended meanwhile and
 *   its real exit is now recorded);
 * - none: nothing to adopt (no shim, or a network this worker could not keep, so it was
 *   stopped): the caller records it as ended with the worker.
 */
export type Adoption = "adopted" | "none";

/**
 * A container on bridge networks runs on only if the network service kept its endpoints and
 * port proxy at start-up (NetworkService.init); else it would run on unreachable.
 */
function networkKept(c: ManagerContext, id: string, opts: ContainerOptions): boolean {
  return opts.network === "host" || opts.network === "none" || (c.d.network?.kept(id) ?? false);
}

export async function adopt(c: ManagerContext, att: Attachments, exit: ExitPath, row: Db.Container, paused: boolean): Promise<Adoption> {
  const d = c.d;
  const dir = c.dir(row.id);
  const log = d.log.child({ container: row.id.slice(0, 12) });
  let opts: ContainerOptions | undefined;
  try {
    opts = ContainerOptions.parse(JSON.parse(row.options));
  } catch {
    opts = undefined;
  }
  const rec = await readRunningRecord(dir);
  const same = !!rec && rec.pid === row.pid;
  const handle = await openSlowShim(dir, log);
  if (!handle) {
    // The shim went before any worker took the output over; the exit it wrote is the real one.
    const status = same ? await readExitFile(dir) : undefined;
    if (!status || !opts) return "none";
    const sink = new LogSink(d.redis, row.id, path.join(dir, "log.jsonl"), logConfigOf(row.options), rec!.run);
    await removeCgroup(c.cgroupPath(row.id)).catch((err: unknown) => log.warn({ err }, "removing the cgroup failed"));
    await removeRunningRecord(dir).catch(() => undefined);
    await exit.finish(row.id, row.autoRemove, sink, exitCodeOf(status));
    log.info({ exitCode: exitCodeOf(status) }, "container exited while the worker was away");
    return "adopted";
  }
  const fdsOk = !!rec && handle.fds.length === (rec.tty ? 1 : 2);
  // Exited but not yet reaped by its shim (a zombie): the network start-up already counted it
  // as ended and kept nothing, so wait for the real exit instead of killing it for lack of a network.
  if (handle.exit === null && same && !(await running(rec.pid))) {
    handle.exit = await shimWait(handle.conn).catch((err: unknown) => {
      log.warn({ err }, "the shim of an exited container did not report the exit");
      return null;
    });
  }
  const ended = handle.exit !== null;
  if (!same || !opts || !fdsOk || (!ended && !networkKept(c, row.id, opts))) {
    await endThroughShim(c, row.id, handle);
    return "none";
  }
  c.teams.set(row.id, row.teamId);
  if (paused && !ended) c.paused.add(row.id);
  const sink = new LogSink(d.redis, row.id, path.join(dir, "log.jsonl"), logConfigOf(row.options), rec.run);
  const r = supervise(c, att, exit, {
    id: row.id,
    autoRemove: row.autoRemove,
    opts,
    dir,
    sink,
    log,
    pid: rec.pid,
    startedAt: new Date(rec.startedAt),
    exec: rec.exec,
    health: rec.health,
    io: rec.tty ? { pty: handle.fds[0]! } : { stdout: handle.fds[0]!, stderr: handle.fds[1]! },
    shim: handle.exit ? { conn: handle.conn, exit: handle.exit } : { conn: handle.conn },
  });
  if (ended) {
    // Recorded before the restart policies are applied to what is exited.
    await r.done;
    log.info("container exited while the worker was away");
  } else {
    await d.network?.started(row.id, rec.pid);
    log.info({ pid: rec.pid }, "adopted a running container from the previous worker");
  }
  return "adopted";
}

/** Asks of a silent shim, each bounded by shimOpen's 5 s (off the event loop; the adoption waits for them). */
const SHIM_OPEN_ATTEMPTS = 6;

/**
 * The container's shim, given time: one busy on a loaded host (the fsync of its exit file) lets
 * the 5 s answer lapse, and taking that for "no shim" would record a real exit as a kill.
 */
async function openSlowShim(dir: string, log: Logger): Promise<ShimHandle | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openShim(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN" || attempt === SHIM_OPEN_ATTEMPTS) {
        log.warn({ err: e }, "the container's shim did not answer");
        return undefined;
      }
      log.warn({ attempt }, "the container's shim is slow to answer; asking again");
    }
  }
}

/** Ends a container through its shim (SIGKILL, thawed if paused, waits for the exit) and lets the shim go. */
export async function endThroughShim(c: ManagerContext, id: string, handle: ShimHandle): Promise<void> {
  for (const fd of handle.fds) closeSync(fd);
  if (!handle.exit) {
    tryKill(handle.pid, 9);
    await freezeCgroup(c.cgroupPath(id), false).catch(() => undefined);
    await shimWait(handle.conn).catch(() => undefined);
  }
  releaseShim(handle.conn);
}
