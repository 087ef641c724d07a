import { encodeStatsPoint, decodeStatsPoint, statsCoarseKey, statsFineKey, statsFineMax, STATS_COARSE_MAX, STATS_COARSE_STEP_MS, STATS_COARSE_WINDOW_MS, type ContainerStatsSample, type StatsPoint } from "@berth/core";
import type { Redis } from "@berth/core/redis";

/**
 * The bounded stats history of the containers of one host, in Redis: every sample goes to the
 * container's fine list (trimmed to the last hour's worth of samples), and the first sample of
 * each new minute also to its coarse list (trimmed to 24 h of minutes). Both lists expire 24 h
 * after the container's last sample, so a stopped or removed container's history goes by itself.
 *
 * Memory bound: a point is ~90 bytes of JSON; per container at most statsFineMax(interval)
 * fine points (720 at 5 s) + 1440 coarse points, about 200 KB; 100 running containers ≈ 20 MB.
 */
export class StatsHistory {
  /** Time of each container's newest coarse point (read from Redis once, then kept here). */
  private readonly lastCoarse = new Map<string, number>();
  private readonly fineMax: number;

  constructor(
    private readonly redis: Redis,
    intervalMs: number,
  ) {
    this.fineMax = statsFineMax(intervalMs);
  }

  async record(s: ContainerStatsSample): Promise<void> {
    const point: StatsPoint = [s.time, s.cpuNs, s.memory, s.memoryLimit, s.pids, s.netRx, s.netTx, s.blockRead, s.blockWrite];
    const fine = statsFineKey(s.id);
    const coarse = statsCoarseKey(s.id);
    const ttl = String(STATS_COARSE_WINDOW_MS);
    let last = this.lastCoarse.get(s.id);
    if (last === undefined) {
      const head = await this.redis.lindex(coarse, 0);
      last = (head ? decodeStatsPoint(head)?.[0] : undefined) ?? 0;
    }
    const m = this.redis.multi().lpush(fine, encodeStatsPoint(point)).ltrim(fine, 0, this.fineMax - 1).pexpire(fine, ttl);
    if (Math.floor(s.time / STATS_COARSE_STEP_MS) > Math.floor(last / STATS_COARSE_STEP_MS)) {
      m.lpush(coarse, encodeStatsPoint(point)).ltrim(coarse, 0, STATS_COARSE_MAX - 1);
      last = s.time;
    }
    m.pexpire(coarse, ttl);
    const res = await m.exec();
    const failed = res?.find(([e]) => e);
    if (failed) throw failed[0] as Error;
    this.lastCoarse.set(s.id, last);
  }

  /** Forgets what it cached of containers no longer sampled (the lists themselves expire). */
  retain(ids: Set<string>): void {
    for (const id of this.lastCoarse.keys()) if (!ids.has(id)) this.lastCoarse.delete(id);
  }
}
