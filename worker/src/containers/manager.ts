import fs from "node:fs/promises";
import { config, FailedPrecondition, NotFound, type AgentAttachStart, type AgentExecStart, type HealthStatus } from "@berth/core";
import { freezeCgroup, killContainer, removeCgroup } from "@berth/native";
import { lockContainerFs } from "../container-fs/index.js";
import { keepRemovedLogs } from "../logs/index.js";
import { Attachments } from "./attachments.js";
import { ManagerContext, type ManagerDeps } from "./context.js";
import { ExitPath } from "./exit-path.js";
import { writeRuntime } from "./runtime-state.js";
import { runOnce, tryKill } from "./start-path.js";
import { signalDropped } from "./signal-dropped.js";
import type { SessionHandle, TerminalClient } from "./terminal.js";

export type { ManagerDeps } from "./context.js";
export { ATTACH_WAIT_MS } from "./start-path.js";

/**
 * Owns the containers of this host: the jobs' entry point. The work is split by responsibility:
 * the start path (start-path.ts), the exit and restart path (exit-path.ts) and the terminals
 * (attachments.ts), sharing one context. Overlay, /proc and /dev are mounted inside each
 * container's own mount namespace, so when a container's PID 1 exits the kernel takes every
 * mount with it: nothing to unmount here.
 */
export class ContainerManager {
  private readonly c: ManagerContext;
  private readonly attachments: Attachments;
  private readonly exits: ExitPath;
  /** Starts in progress: a second run/start of the same container joins the first. */
  private readonly inflight = new Map<string, Promise<void>>();
  /** Containers a `start` job is starting (two starts of one container run it once). */
  private readonly starting = new Set<string>();
  /**
   * Containers a stop or forced remove is ending: a pause (the idle freezer's) must not freeze
   * them after their signal, or the kill would wait for a thaw that never comes.
   */
  private readonly stopping = new Set<string>();

  constructor(d: ManagerDeps) {
    this.c = new ManagerContext(d);
    this.attachments = new Attachments(this.c);
    this.exits = new ExitPath(this.c, this.attachments, (id, before) => this.run(id, { before }));
  }

  get count(): number {
    return this.c.running.size;
  }

  /** Host-global names carry the instance (host id), so two Berths on one host never collide. */
  cgroupPath(id: string) {
    return this.c.cgroupPath(id);
  }

  /** Resolves at the container's next event (start, die, health_status…; recorded by then) or after `ms`. */
  nextChange(id: string, ms: number): Promise<void> {
    return this.c.nextChange(id, ms);
  }

  /** Docker's `health_status: healthy|unhealthy` event, when a container's health changes. */
  healthChanged(id: string, status: HealthStatus): void {
    void this.c.publish("container.health_status", id, { attributes: { status } });
  }

  /**
   * Starts a created container; resolves once it runs (or has been recorded as failed to start).
   * `before` (a policy restart moving the row back to created) runs inside the start, so a stop
   * or rm meanwhile sees a start in progress, never a gap between "restarting" and "running".
   */
  run(containerId: string, o: { waitForAttach?: boolean; before?: () => Promise<boolean> } = {}): Promise<void> {
    const busy = this.inflight.get(containerId);
    if (busy) return busy;
    const before = o.before ?? (() => Promise.resolve(true));
    const p = before()
      .then((go) => (go ? runOnce(this.c, this.attachments, this.exits, containerId, o.waitForAttach ?? true) : undefined))
      .finally(() => this.inflight.delete(containerId));
    this.inflight.set(containerId, p);
    return p;
  }

  /** `berth exec`: a new process in a running container. */
  exec(req: AgentExecStart, client: TerminalClient): Promise<SessionHandle> {
    return this.attachments.exec(req, client);
  }

  /**
   * Attach to a container's terminal (or stdin and output pipes): output from now on, input to
   * its pty/stdin, its exit code at the end. A container created with -i/-t waits for this.
   */
  attach(req: AgentAttachStart, client: TerminalClient): Promise<SessionHandle> {
    return this.attachments.attach(req, client);
  }

  /**
   * Start-up: adopts the containers the previous worker left running under their shims, records
   * the rest as exited (their real code when their shim kept it); removes directories no row owns.
   */
  reconcile(): Promise<void> {
    return this.exits.reconcile();
  }

  /** Signals a running container's PID 1 (a paused one is thawed after, as Docker does); no policy restarts it. */
  async kill(id: string, signal: number): Promise<void> {
    const r = this.c.running.get(id);
    if (!r) throw new NotFound(`running container ${id}`);
    await this.exits.markManuallyStopped(id);
    killContainer(r.pid, signal);
    await this.thaw(id);
  }

  /**
   * `start`: a created container, or an exited one again. A restart keeps the container's upper
   * dir (its writes survive, as in docker) and appends to its log; the row goes back to created.
   */
  async start(id: string): Promise<void> {
    if (this.c.running.has(id) || this.starting.has(id)) return;
    this.starting.add(id);
    try {
      const row = await this.c.d.db.container.findUnique({ where: { id }, select: { state: true } });
      if (!row) throw new NotFound(`No such container: ${id}`);
      // A user's start: a new series for the restart policy (count and backoff), not stopped any more.
      this.c.restarts.reset(id);
      if (row.state === "exited" || row.state === "restarting") {
        await this.c.d.db.container.update({
          where: { id },
          data: { state: "created", exitCode: null, error: null, oomKilled: false, pid: null, startedAt: null, finishedAt: null },
        });
      }
      await writeRuntime(this.c.d.db, id, { restartCount: 0, manuallyStopped: false });
      await this.run(id);
    } finally {
      this.starting.delete(id);
    }
  }

  /**
   * `stop`: `signal` (SIGTERM by default) to PID 1, SIGKILL after `timeoutSec`; resolves once the
   * exit is recorded. False when it was not running here (docker: stopping a stopped container is fine).
   */
  async stop(id: string, timeoutSec: number, signal = 15): Promise<boolean> {
    this.stopping.add(id);
    try {
      return await this.stopLocked(id, timeoutSec, signal);
    } finally {
      this.stopping.delete(id);
    }
  }

  private async stopLocked(id: string, timeoutSec: number, signal: number): Promise<boolean> {
    // A start in progress finishes first: then there is something to stop.
    await this.inflight.get(id)?.catch(() => undefined);
    await this.exits.markManuallyStopped(id);
    if (await this.exits.cancelRestart(id)) return true;
    const r = this.c.running.get(id);
    if (!r) return false;
    tryKill(r.pid, signal);
    // A PID 1 that neither handles nor blocks the signal never sees it: no grace period to wait out.
    const dropped = signalDropped(r.pid, signal);
    await this.thaw(id);
    const timer = setTimeout(() => tryKill(r.pid, 9), dropped ? 0 : timeoutSec * 1000);
    try {
      await r.done;
    } finally {
      clearTimeout(timer);
    }
    // Its exit may have read the policy before the mark above and scheduled a restart: the stop ends it.
    await this.exits.cancelRestart(id);
    return true;
  }

  /** `rm`: refuses a running container unless `force` (then SIGKILL and wait); deletes its directory. */
  async remove(id: string, force: boolean): Promise<void> {
    if (!force) return this.removeLocked(id, force);
    this.stopping.add(id);
    try {
      await this.removeLocked(id, force);
    } finally {
      this.stopping.delete(id);
    }
  }

  private async removeLocked(id: string, force: boolean): Promise<void> {
    if (this.c.restarts.pending(id) && !force) {
      throw new FailedPrecondition(`You cannot remove a restarting container ${id}. Stop the container before attempting removal or force remove`);
    }
    // Starting right now (a user's start or a policy restart) counts as running.
    if (this.inflight.has(id) && !force) {
      throw new FailedPrecondition(`You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
    }
    this.c.restarts.reset(id);
    if (force) await this.inflight.get(id)?.catch(() => undefined);
    const r = this.c.running.get(id);
    if (r) {
      if (!force) throw new FailedPrecondition(`You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
      await this.exits.markManuallyStopped(id);
      tryKill(r.pid, 9);
      await this.thaw(id);
      await r.done;
    }
    await keepRemovedLogs(this.c.d, id, config().logRetentionHours).catch((err: unknown) => this.c.d.log.warn({ err, container: id.slice(0, 12) }, "keeping the removed container's logs failed"));
    // Not while `cp` has the container's filesystem (and volumes) mounted inside its directory.
    const releaseFs = await lockContainerFs(id);
    await fs.rm(this.c.dir(id), { recursive: true, force: true }).finally(releaseFs);
  }

  /** Shutdown: SIGTERM every container, SIGKILL what is left after the grace period, wait for all. */
  async stopAll(graceMs: number): Promise<void> {
    this.c.stopping = true;
    this.c.restarts.cancelAll();
    this.attachments.wakeAll();
    const all = [...this.c.running.values()];
    for (const r of all) tryKill(r.pid, 15);
    for (const id of [...this.c.paused]) await this.thaw(id);
    const timer = setTimeout(() => {
      for (const r of this.c.running.values()) tryKill(r.pid, 9);
    }, graceMs);
    await Promise.all(all.map((r) => r.done));
    clearTimeout(timer);
    await removeCgroup(`berth-${this.c.d.hostId}`);
  }

  /** `pause`: freezes every process of the container (cgroup freezer). */
  async pause(id: string): Promise<void> {
    if (!this.c.running.has(id)) throw new FailedPrecondition(`Container ${id} is not running`);
    if (this.c.paused.has(id)) throw new FailedPrecondition(`Container ${id} is already paused`);
    if (this.stopping.has(id)) throw new FailedPrecondition(`Container ${id} is stopping`);
    await freezeCgroup(this.c.cgroupPath(id), true);
    if (this.stopping.has(id)) {
      // A stop began while it froze: its signal must reach a thawed process.
      await freezeCgroup(this.c.cgroupPath(id), false);
      throw new FailedPrecondition(`Container ${id} is stopping`);
    }
    this.c.paused.add(id);
    await writeRuntime(this.c.d.db, id, { paused: true });
  }

  /** `unpause`: thaws a paused container. */
  async unpause(id: string): Promise<void> {
    if (!this.c.paused.has(id)) throw new FailedPrecondition(`Container ${id} is not paused`);
    await this.thaw(id);
  }

  /** Thaws a paused container (after a signal, so a stop or kill takes effect at once). */
  private async thaw(id: string): Promise<void> {
    if (!this.c.paused.has(id)) return;
    await freezeCgroup(this.c.cgroupPath(id), false).catch((err: unknown) => this.c.d.log.warn({ err, container: id.slice(0, 12) }, "thawing the container failed"));
    this.c.paused.delete(id);
    await writeRuntime(this.c.d.db, id, { paused: false });
  }

  /** Calls `listener` with each container's exit once it is recorded. */
  onExit(listener: (id: string, exitCode: number | null) => void): void {
    this.c.exitListeners.add(listener);
  }

  /** Pid of a running container's init (top, stats), or undefined. */
  pidOf(id: string): number | undefined {
    return this.c.running.get(id)?.pid;
  }
}
