import { REMOVED_LOGS_KEY, RemovedLogs, removedLogsTeamKey } from "@berth/core";
import type { Redis } from "@berth/core/redis";

const FULL_ID = /^[0-9a-f]{64}$/;

function parse(json: string | null | undefined): RemovedLogs | undefined {
  if (!json) return undefined;
  try {
    return RemovedLogs.safeParse(JSON.parse(json)).data;
  } catch {
    return undefined;
  }
}

/** The team's removed containers whose logs are still kept, newest removal first. */
export async function listRemoved(redis: Redis, teamId: string, limit = 200): Promise<RemovedLogs[]> {
  const ids = await redis.zrevrange(removedLogsTeamKey(teamId), 0, limit - 1);
  if (!ids.length) return [];
  const recs = await redis.hmget(REMOVED_LOGS_KEY, ...ids);
  return recs.map(parse).filter((r): r is RemovedLogs => r?.teamId === teamId);
}

/**
 * A removed container of the team by full id, id prefix or name (the most recently removed of
 * that name); undefined when none is kept. Asked only after the live containers found nothing.
 */
export async function findRemoved(redis: Redis, teamId: string, ref: string): Promise<RemovedLogs | undefined> {
  const q = ref.trim().replace(/^\//, "");
  if (!q) return undefined;
  if (FULL_ID.test(q)) {
    const r = parse(await redis.hget(REMOVED_LOGS_KEY, q));
    return r?.teamId === teamId ? r : undefined;
  }
  const all = await listRemoved(redis, teamId, 1000);
  return all.find((r) => r.name === q) ?? (q.length >= 4 ? all.find((r) => r.id.startsWith(q)) : undefined);
}
