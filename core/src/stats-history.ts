/**
 * The worker samples every running container's usage into Redis (see worker/src/stats/):
 * per container a fine list (one point per sample, the last hour) and a coarse list (one point
 * a minute, the last 24 hours), newest first. A point is a JSON array of cumulative counters,
 * so any two points give the average rate between them, whatever the resolution.
 */
export const statsFineKey = (containerId: string) => `stats:${containerId}:fine`;
export const statsCoarseKey = (containerId: string) => `stats:${containerId}:coarse`;
export const STATS_FINE_WINDOW_MS = 3600_000;
export const STATS_COARSE_STEP_MS = 60_000;
export const STATS_COARSE_WINDOW_MS = 24 * 3600_000;
/** Most points a coarse list holds (24 h at one a minute). */
export const STATS_COARSE_MAX = STATS_COARSE_WINDOW_MS / STATS_COARSE_STEP_MS;
/** Most points a fine list holds at a sampling interval (the last hour). */
export const statsFineMax = (intervalMs: number) => Math.ceil(STATS_FINE_WINDOW_MS / intervalMs);

/** [time ms, cpuNs, memory, memoryLimit, pids, netRx, netTx, blockRead, blockWrite] */
export type StatsPoint = [number, number, number, number, number, number, number, number, number];

export function encodeStatsPoint(p: StatsPoint): string {
  return JSON.stringify(p);
}

export function decodeStatsPoint(s: string): StatsPoint | undefined {
  try {
    const a = JSON.parse(s) as unknown;
    if (Array.isArray(a) && a.length === 9 && a.every((n) => typeof n === "number")) return a as StatsPoint;
  } catch {
    /* a foreign or torn entry: skipped */
  }
  return undefined;
}

/** A point of a chart: rates over the interval that ends at `time`. */
export interface StatsRate {
  time: number;
  /** Percent of one CPU (200 = two CPUs busy), as docker stats shows it. */
  cpuPercent: number;
  memory: number;
  memoryLimit: number;
  pids: number;
  /** bytes per second */
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
}

/**
 * Rates between consecutive points (oldest first). A counter that went down (the container
 * restarted with a new cgroup) gives no rate for that interval rather than a negative one.
 */
export function statsRates(points: StatsPoint[]): StatsRate[] {
  const out: StatsRate[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const dt = b[0] - a[0];
    if (dt <= 0) continue;
    const rate = (k: number) => Math.max(0, b[k]! - a[k]!) / (dt / 1000);
    out.push({
      time: b[0],
      cpuPercent: (Math.max(0, b[1] - a[1]) / (dt * 1e6)) * 100,
      memory: b[2],
      memoryLimit: b[3],
      pids: b[4],
      netRx: rate(5),
      netTx: rate(6),
      blockRead: rate(7),
      blockWrite: rate(8),
    });
  }
  return out;
}
