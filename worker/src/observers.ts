import type { Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import { startRemovedLogsSweep } from "./logs/index.js";
import { StatsSampler, type RunningContainers } from "./stats/index.js";

/**
 * What the worker keeps watching besides its jobs: every running container's usage (the stats
 * history) and the removed containers' logs past their retention.
 */
export function startObservers(d: { db: PrismaClient; redis: Redis; hostId: string; containersDir: string; containers: RunningContainers; log: Logger }, cfg: { statsIntervalMs: number; logRetentionHours: number }): { stop(): Promise<void> } {
  const sampler = new StatsSampler({ ...d, intervalMs: cfg.statsIntervalMs, log: d.log.child({ part: "stats" }) });
  sampler.start();
  const stopSweep = startRemovedLogsSweep(d, cfg.logRetentionHours, d.log.child({ part: "logs" }));
  return {
    async stop() {
      stopSweep();
      await sampler.stop();
    },
  };
}
