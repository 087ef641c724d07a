import { HostResources, hostResourcesKey } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import type { Services } from "./services.js";

/** A host is online if its worker heartbeated (every 5 s) within this window. */
export const HOST_ONLINE_MS = 15_000;

const onlineSince = () => new Date(Date.now() - HOST_ONLINE_MS);

export async function countOnlineHosts(db: PrismaClient): Promise<number> {
  return db.host.count({ where: { lastSeenAt: { gte: onlineSince() } } });
}

/** The online host with the fewest live containers, or undefined when none is online. */
export async function pickHost(db: PrismaClient): Promise<{ id: string; name: string } | undefined> {
  const hosts = await db.host.findMany({ where: { lastSeenAt: { gte: onlineSince() } }, select: { id: true, name: true } });
  if (hosts.length <= 1) return hosts[0];
  const load = await db.container.groupBy({
    by: ["hostId"],
    where: { hostId: { in: hosts.map((h) => h.id) }, state: { in: ["created", "running"] } },
    _count: { _all: true },
  });
  const count = new Map(load.map((l) => [l.hostId, l._count._all]));
  return hosts.reduce((best, h) => ((count.get(h.id) ?? 0) < (count.get(best.id) ?? 0) ? h : best));
}

/** Each host's last CPU/memory/disk sample from its worker (in Redis); a host without a readable one is left out. */
export async function resourcesOf(s: Services, ids: string[]): Promise<Map<string, HostResources>> {
  const out = new Map<string, HostResources>();
  if (!ids.length) return out;
  const raw = await s.redis.mget(...ids.map(hostResourcesKey));
  raw.forEach((json, i) => {
    if (!json) return;
    try {
      const r = HostResources.safeParse(JSON.parse(json));
      if (r.success) out.set(ids[i]!, r.data);
      else s.log.warn({ hostId: ids[i], err: r.error.message }, "ignoring a malformed host resources sample");
    } catch (err) {
      s.log.warn({ hostId: ids[i], err: (err as Error).message }, "ignoring a malformed host resources sample");
    }
  });
  return out;
}
