import type { Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import { sampleStats } from "../containers/stats.js";
import { StatsHistory } from "./history.js";

/** What the sampler needs of the container manager: where a running container is. */
export interface RunningContainers {
  pidOf(id: string): number | undefined;
  cgroupPath(id: string): string;
}

export interface SamplerDeps {
  db: PrismaClient;
  redis: Redis;
  hostId: string;
  containers: RunningContainers;
  intervalMs: number;
  log: Logger;
}

/**
 * Samples every running container of this host each `intervalMs` into the stats history. One
 * round at a time (a slow round delays the next instead of piling up); a failure of one round
 * is logged and the next goes on.
 */
export class StatsSampler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private round: Promise<void> = Promise.resolve();
  private readonly history: StatsHistory;
  private warned = false;

  constructor(private readonly d: SamplerDeps) {
    this.history = new StatsHistory(d.redis, d.intervalMs);
  }

  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.sampleAll()
        .then(() => {
          this.warned = false;
        })
        .catch((err: unknown) => {
          // Once per run of failures: a Redis outage must not flood the log every few seconds.
          if (!this.warned) this.d.log.warn({ err }, "sampling container stats failed");
          this.warned = true;
        })
        .finally(() => this.schedule(this.d.intervalMs));
    }, ms);
    this.timer.unref();
  }

  /** One round: every container this host runs now. */
  async sampleAll(): Promise<number> {
    const rows = await this.d.db.container.findMany({ where: { hostId: this.d.hostId, state: "running" }, select: { id: true } });
    const ids = new Set<string>();
    await Promise.all(
      rows.map(async ({ id }) => {
        const pid = this.d.containers.pidOf(id);
        if (pid === undefined) return;
        const s = await sampleStats(id, this.d.containers.cgroupPath(id), pid);
        if (!s.running) return; // ended between the query and the read
        ids.add(id);
        await this.history.record(s);
      }),
    );
    this.history.retain(ids);
    return ids.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round.catch(() => undefined);
  }
}
