import path from "node:path";
import type { Writable } from "node:stream";
import { publishEvent, type ContainerEvent, type Logger } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import type { Snapshots } from "../images/index.js";
import type { NetworkService } from "../network/index.js";
import type { VolumeStore } from "../volumes/index.js";
import type { HealthMonitor } from "../health/monitor.js";
import { RestartTimers } from "./restarts.js";
import type { ExecTarget } from "./terminal.js";

export interface ManagerDeps {
  db: PrismaClient;
  redis: Redis;
  blobs: ContentStore;
  snapshots: Snapshots;
  containersDir: string;
  hostId: string;
  log: Logger;
  /** Bridges, addresses, published ports and hosts files (none: every container gets only lo). */
  network?: NetworkService;
  /** Volumes, binds and tmpfs of `opts.mounts` (absent: containers get none). */
  volumes?: VolumeStore;
  /** Health checks of the image's HEALTHCHECK or `--health-cmd` (absent: none run). */
  health?: HealthMonitor;
}

export interface Running {
  pid: number;
  done: Promise<void>;
  /** How it was started, for exec. */
  exec: ExecTarget;
  /** The container's own terminal or stdin (tty / interactive), for attach. */
  input?: Writable;
  ptyFd?: number;
}

/**
 * What the start path, the exit path and the terminals of one host's containers share: the
 * running processes, the paused ones, each container's team and the restart timers.
 */
export class ManagerContext {
  readonly running = new Map<string, Running>();
  stopping = false;
  /** Restart-policy timers (containers in state "restarting"). */
  readonly restarts = new RestartTimers();
  /** Frozen by `pause`. */
  readonly paused = new Set<string>();
  /** Starts made by a restart policy (no wait for an attach). */
  readonly policyStarts = new Set<string>();
  /** Each started container's team, for its events once `rm -f` may have taken the row (bounded: dropped when it ends for good). */
  readonly teams = new Map<string, string>();
  /** Told of every recorded exit (shared terminals say "container stopped"). */
  readonly exitListeners = new Set<(id: string, exitCode: number | null) => void>();

  /** Who waits for a container's next event (start, die, health_status…), by container. */
  private readonly changeWaiters = new Map<string, Set<() => void>>();

  constructor(readonly d: ManagerDeps) {}

  /**
   * Resolves at the container's next event (its new state is recorded by then) or after `ms`,
   * whichever comes first: a waiter on a state (`up` on a dependency's health) reads it again
   * at once rather than at its next poll.
   */
  nextChange(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.changeWaiters.get(id) ?? new Set();
      this.changeWaiters.set(id, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (!waiters.size && this.changeWaiters.get(id) === waiters) this.changeWaiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  }

  dir(id: string) {
    return path.join(this.d.containersDir, id);
  }

  /** Host-global names carry the instance (host id), so two Berths on one host never collide. */
  cgroupPath(id: string) {
    return `berth-${this.d.hostId}/${id}`;
  }

  async publish(type: ContainerEvent["type"], id: string, extra: Partial<ContainerEvent> = {}) {
    // Callers publish after recording the change: in-process waiters read it now.
    for (const wake of [...(this.changeWaiters.get(id) ?? [])]) wake();
    // The relay shows an event only to its team's members: an event without one reaches only the site admin.
    const teamId = this.teams.get(id) ?? (await this.d.db.container.findUnique({ where: { id }, select: { teamId: true } }).catch(() => null))?.teamId;
    const ev: ContainerEvent = { type, id, hostId: this.d.hostId, ...(teamId ? { teamId } : {}), time: new Date().toISOString(), ...extra };
    await publishEvent(this.d.redis, ev, (err) => this.d.log.warn({ err: err.message, id }, `could not publish ${type}`));
  }
}
