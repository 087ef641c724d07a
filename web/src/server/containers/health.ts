import { healthKey, type HealthState } from "@berth/core";
import type { Redis } from "@berth/core/redis";

/** The health the worker recorded for these containers (only those with a check have one). */
export async function readHealth(redis: Redis, ids: string[]): Promise<Map<string, HealthState>> {
  const out = new Map<string, HealthState>();
  if (!ids.length) return out;
  const values = await redis.mget(...ids.map(healthKey));
  values.forEach((v, i) => {
    const id = ids[i];
    if (!v || !id) return;
    try {
      out.set(id, JSON.parse(v) as HealthState);
    } catch {
      /* written by the worker as JSON; a torn value reads as no health yet */
    }
  });
  return out;
}
