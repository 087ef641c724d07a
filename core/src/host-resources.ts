import { z } from "zod";

/**
 * What a worker reports about its machine with each heartbeat (the dashboard's /hosts page and
 * overview read it): kept in Redis under one key per host that expires, so a host that stopped
 * reporting shows its last sample only while it is fresh.
 */
export const hostResourcesKey = (hostId: string) => `host:resources:${hostId}`;
/** A sample older than this is gone (the heartbeat is every 5 s). */
export const HOST_RESOURCES_TTL_S = 60;

export const HostResources = z.object({
  /** When it was sampled (ISO 8601). */
  time: z.string(),
  hostname: z.string(),
  kernel: z.string(),
  cpus: z.number().int().nonnegative(),
  /** Busy share of all CPUs since the previous sample, 0..1 (null on the first sample). */
  cpuUsage: z.number().min(0).max(1).nullable(),
  load1: z.number().nonnegative(),
  memTotal: z.number().nonnegative(),
  /** MemAvailable (what can be allocated without swapping), else free. */
  memAvailable: z.number().nonnegative(),
  /** The file system holding BERTH_HOME (images, containers, volumes). */
  diskPath: z.string(),
  diskTotal: z.number().nonnegative(),
  diskFree: z.number().nonnegative(),
});
export type HostResources = z.infer<typeof HostResources>;
