import { decodeStatsPoint, statsCoarseKey, statsFineKey, statsRates, type StatsPoint, type StatsRate } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";

const decodeAll = (list: string[]): StatsPoint[] =>
  list
    .map(decodeStatsPoint)
    .filter((p): p is StatsPoint => p !== undefined)
    .reverse(); // the lists are newest first

/**
 * A container's usage over the last hour (every sample) or 24 hours (one point a minute, then
 * every sample of the last hour), as rates oldest first.
 */
export async function containerHistory(redis: Redis, id: string, range: "1h" | "24h"): Promise<StatsRate[]> {
  const fine = decodeAll(await redis.lrange(statsFineKey(id), 0, -1));
  if (range === "1h") return statsRates(fine);
  const coarse = decodeAll(await redis.lrange(statsCoarseKey(id), 0, -1));
  const first = fine[0]?.[0] ?? Infinity;
  return statsRates([...coarse.filter((p) => p[0] < first), ...fine]);
}

export interface RunningStats {
  id: string;
  name: string;
  image: string;
  /** The newest rates (from the last two samples); null before the sampler has two. */
  now: StatsRate | null;
}

/** Every running container of the team with its newest usage, in one Redis round trip. */
export async function runningStats(db: PrismaClient, redis: Redis, teamId: string): Promise<RunningStats[]> {
  const rows = await db.container.findMany({ where: { teamId, state: "running" }, select: { id: true, name: true, imageRef: true }, orderBy: { name: "asc" } });
  if (!rows.length) return [];
  const p = redis.pipeline();
  for (const r of rows) p.lrange(statsFineKey(r.id), 0, 1);
  const res = (await p.exec()) ?? [];
  return rows.map((r, i) => {
    const [err, list] = res[i] ?? [null, []];
    if (err) throw err;
    const rates = statsRates(decodeAll(list as string[]));
    return { id: r.id, name: r.name, image: r.imageRef, now: rates[rates.length - 1] ?? null };
  });
}
