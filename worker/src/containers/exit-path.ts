import fs from "node:fs/promises";
import path from "node:path";
import { ContainerOptions, edgeKeys, encodeLogEntry, logStreamKey, LOG_STREAM_TTL_SECONDS, shouldRestart, type Logger } from "@berth/core";
import { removeCgroup } from "@berth/native";
import type { Attachments } from "./attachments.js";
import type { ManagerContext } from "./context.js";
import { adopt, endThroughShim } from "./adopt.js";
import type { LogSink } from "./log-sink.js";
import { openShim } from "./shim.js";
import { readRuntime, writeRuntime } from "./runtime-state.js";

/**
 * How containers end and come back (see README "Containers across worker restarts"): the
 * record of an exit, restart policies, and the reconciliation after a worker start.
 */
export class ExitPath {
  constructor(
    private readonly c: ManagerContext,
    private readonly attachments: Attachments,
    /** The start path (joins a start in progress); `before` runs inside it and may call it off. */
    private readonly run: (id: string, before?: () => Promise<boolean>) => Promise<void>,
  ) {}

  /** Records the end: the row says exited (so `ps` agrees once a client sees the exit), then the log's last entry, then --rm removal. */
  async finish(id: string, autoRemove: boolean, sink: LogSink, exitCode: number | null, error?: string, oomKilled = false, restarting = false): Promise<void> {
    const d = this.c.d;
    this.c.paused.delete(id);
    // updateMany: `rm -f` may have taken the row already; the log must still get its end.
    // Both before the log's end (a client that sees the exit then reads them); one does not wait for the other.
    await Promise.all([
      d.db.container.updateMany({
        where: { id },
        data: { state: restarting ? "restarting" : "exited", exitCode, oomKilled, error: error ?? null, finishedAt: new Date(), pid: null },
      }),
      writeRuntime(d.db, id, { paused: false }),
    ]);
    // Events before what a client waits on: whoever sees the exit (or, with --rm, the row gone)
    // finds `die` (and `destroy`) already in the event stream, as Docker's CLI does.
    await this.c.publish("container.die", id, { exitCode, ...(error ? { error } : {}) });
    // The log is complete before the row can go (--rm): a client that finds no row reads the
    // stream by id, so there must never be a moment with neither.
    await sink.exit(exitCode, error);
    if (autoRemove) {
      await this.c.publish("container.destroy", id);
      // --rm takes the container's anonymous volumes with it (docker does); named ones stay.
      const gone = await d.db.container.findUnique({ where: { id }, select: { options: true, teamId: true } }).catch(() => null);
      await d.db.container.delete({ where: { id } }).catch(() => undefined);
      await d.redis.del(edgeKeys.visibility(id)).catch((err: unknown) => d.log.warn({ err, id }, "forgetting the port links failed"));
      if (gone) await d.volumes?.removeAnonymousOf(gone.teamId, gone.options).catch((err: unknown) => d.log.warn({ err, id }, "removing anonymous volumes failed"));
      await fs.rm(this.c.dir(id), { recursive: true, force: true });
    }
    if (!restarting) this.c.teams.delete(id);
    this.attachments.end(id, exitCode, error);
    for (const l of this.c.exitListeners) l(id, exitCode);
  }

  async markManuallyStopped(id: string): Promise<void> {
    await writeRuntime(this.c.d.db, id, { manuallyStopped: true });
  }

  /** Ends a pending policy restart (the container stays exited); false when none was pending. */
  async cancelRestart(id: string): Promise<boolean> {
    if (!this.c.restarts.cancel(id)) return false;
    await this.c.d.db.container.updateMany({ where: { id, state: "restarting" }, data: { state: "exited" } });
    return true;
  }

  /** Whether the container's policy restarts it after this exit (read from the row: a stop or kill may have just marked it). */
  async policyRestarts(id: string, autoRemove: boolean, opts: ContainerOptions, exitCode: number | null): Promise<boolean> {
    if (this.c.stopping || autoRemove || !opts.restart) return false;
    if (!(await this.c.d.db.container.findUnique({ where: { id }, select: { id: true } }))) return false;
    const row = await readRuntime(this.c.d.db, id);
    return shouldRestart(opts.restart, { exitCode, restartCount: row.restartCount, manuallyStopped: row.manuallyStopped });
  }

  scheduleRestart(id: string, ranMs: number, log: Logger): void {
    const delay = this.c.restarts.schedule(id, ranMs, () => {
      void this.restartNow(id).catch((err: unknown) => log.error({ err }, "restarting the container failed"));
    });
    log.info({ delayMs: delay }, "restart policy: restarting");
  }

  /** The policy's restart: one more in RestartCount, then the same path as a first run. */
  private async restartNow(id: string): Promise<void> {
    if (this.c.stopping) return;
    this.c.policyStarts.add(id);
    await this.run(id, async () => {
      const moved = await this.c.d.db.container.updateMany({
        where: { id, state: { in: ["restarting", "exited"] } },
        data: { state: "created", exitCode: null, error: null, oomKilled: false, pid: null, startedAt: null, finishedAt: null },
      });
      if (moved.count !== 1) return false;
      await writeRuntime(this.c.d.db, id, { incrementRestarts: true });
      return true;
    }).finally(() => this.c.policyStarts.delete(id));
  }

  /**
   * Start-up: a container this host recorded as running whose shim still runs it is adopted (it
   * runs on, watched by this worker; or its exit while no worker ran is recorded as it was); the
   * others ended with the previous worker, so record them as exited; remove directories no row owns.
   */
  async reconcile(): Promise<void> {
    const d = this.c.d;
    // Also a policy restart the dead worker had begun (back to created, restart counted, not yet running).
    const stale = await d.db.container.findMany({
      where: { hostId: d.hostId, OR: [{ state: { in: ["running", "restarting"] } }, { state: "created", runtime: { restartCount: { gt: 0 } } }] },
      include: { runtime: true },
    });
    const ended: string[] = [];
    for (const c of stale) {
      if (c.state === "running") {
        const adopted = await adopt(this.c, this.attachments, this, c, c.runtime?.paused ?? false).catch((err: unknown) => {
          d.log.error({ err, container: c.id.slice(0, 12) }, "adopting the container failed");
          return "none" as const;
        });
        if (adopted === "adopted") continue;
      }
      ended.push(c.id);
      const error = "the Berth worker stopped while this container was running";
      const exitCode = 137;
      if (c.autoRemove) await d.db.container.delete({ where: { id: c.id } });
      else await d.db.container.update({ where: { id: c.id }, data: { state: "exited", exitCode, error, finishedAt: new Date(), pid: null } });
      const key = logStreamKey(c.id);
      await d.redis.xadd(key, "*", ...encodeLogEntry({ stream: "exit", exitCode, error, time: new Date().toISOString() }));
      await d.redis.expire(key, LOG_STREAM_TTL_SECONDS);
      d.log.warn({ container: c.id.slice(0, 12) }, "marked exited: worker restarted");
    }
    const running = [...this.c.running.keys()];
    await fs.mkdir(d.containersDir, { recursive: true });
    const names = await fs.readdir(d.containersDir);
    // Any other shim still running a container (a row not recorded as running, or gone) ends it:
    // only what this worker watches may run.
    for (const n of names) {
      if (this.c.running.has(n)) continue;
      const shim = await openShim(path.join(d.containersDir, n)).catch((err: unknown) => {
        d.log.warn({ err, container: n.slice(0, 12) }, "a container's shim did not answer");
        return undefined;
      });
      if (shim) {
        d.log.warn({ container: n.slice(0, 12), pid: shim.pid }, "stopping a container no row says runs");
        await endThroughShim(this.c, n, shim);
      }
    }
    // A network kept for a container that was not adopted after all goes (endpoints, proxy, record).
    await d.network?.settle(new Set(this.c.running.keys()));
    await d.db.containerRuntime.updateMany({ where: { container: { hostId: d.hostId }, containerId: { notIn: running } }, data: { paused: false } });
    // Whatever a crashed worker left in this instance's cgroups, but the adopted containers'.
    if (!running.length) await removeCgroup(`berth-${d.hostId}`);
    else for (const id of ended) await removeCgroup(this.c.cgroupPath(id));
    const known = new Set((await d.db.container.findMany({ where: { id: { in: names } }, select: { id: true } })).map((c) => c.id));
    for (const n of names) {
      if (!known.has(n)) await fs.rm(path.join(d.containersDir, n), { recursive: true, force: true });
    }
    await this.restartAfterReconcile();
  }

  /**
   * After a worker start: containers whose policy says so come back (always — also after a
   * manual stop, as Docker's daemon start does —, unless-stopped unless stopped by the user,
   * on-failure within its count: a worker death killed them with 137).
   */
  private async restartAfterReconcile(): Promise<void> {
    const d = this.c.d;
    const rows = await d.db.container.findMany({ where: { hostId: d.hostId, state: "exited", autoRemove: false }, include: { runtime: true } });
    for (const c of rows) {
      let opts: ContainerOptions;
      try {
        opts = ContainerOptions.parse(JSON.parse(c.options));
      } catch {
        continue;
      }
      if (!shouldRestart(opts.restart, { exitCode: c.exitCode, restartCount: c.runtime?.restartCount ?? 0, manuallyStopped: c.runtime?.manuallyStopped ?? false, daemonStart: true })) continue;
      d.log.info({ container: c.id.slice(0, 12), policy: opts.restart?.name }, "restart policy: starting after worker start");
      await this.restartNow(c.id).catch((err: unknown) => d.log.error({ err, container: c.id.slice(0, 12) }, "restart after worker start failed"));
    }
  }
}
