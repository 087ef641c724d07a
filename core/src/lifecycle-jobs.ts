import { z } from "zod";

// ---- Container runtime operations on the container's host: pause, top, stats ----------------
// Web waits for each JobOutcome (worker/src/jobs/outcome.ts), so errors keep their kind.

export const JOB_RUNTIME = {
  containerPause: "container.pause",
  containerTop: "container.top",
  containerStats: "container.stats",
} as const;

const ContainerId = z.string().regex(/^[0-9a-f]{64}$/);

/** `pause` (paused: true) or `unpause` (false): the cgroup freezer. */
export const ContainerPauseJob = z.object({ containerId: ContainerId, paused: z.boolean() });
export type ContainerPauseJob = z.infer<typeof ContainerPauseJob>;

/** `top CONTAINER [ps OPTIONS]`: the container's processes, as `ps` shows them on the host. */
export const ContainerTopJob = z.object({
  containerId: ContainerId,
  /** Options for the host's ps (default: Docker's -ef columns, read from /proc). */
  psArgs: z.array(z.string().max(256)).max(64).default([]),
});
export type ContainerTopJob = z.infer<typeof ContainerTopJob>;
export interface ContainerTopResult {
  titles: string[];
  processes: string[][];
}

/** `stats`: one sample per container (the CLI computes CPU % from two samples). */
export const ContainerStatsJob = z.object({ containerIds: z.array(ContainerId).max(1000) });
export type ContainerStatsJob = z.infer<typeof ContainerStatsJob>;
export interface ContainerStatsSample {
  id: string;
  running: boolean;
  /** ms since the epoch when the sample was read. */
  time: number;
  /** Cumulative CPU time of the container's cgroup, ns. */
  cpuNs: number;
  memory: number;
  /** The container's limit, or the host's memory when unlimited (as Docker shows). */
  memoryLimit: number;
  pids: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
}
