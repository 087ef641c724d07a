import type { HostResources } from "@berth/core";
import { router, siteProcedure } from "../trpc.js";
import { HOST_ONLINE_MS, resourcesOf } from "../hosts.js";

export interface HostSummary {
  id: string;
  name: string;
  /** The worker heartbeated lately: containers are placed on it. */
  online: boolean;
  lastSeenAt: string;
  createdAt: string;
  /** Its /agent link to this web is up (terminals, exec, attach, log reads); null when this web cannot tell. */
  agentLinked: boolean | null;
  containers: { running: number; total: number };
  /** The worker's last CPU/memory/disk sample; null when it has not reported one lately. */
  resources: HostResources | null;
}

/** The worker hosts: the site admin's (a host serves every team). */
export const hostRouter = router({
  list: siteProcedure.query(async ({ ctx }): Promise<HostSummary[]> => {
    const { db } = ctx.services;
    const [hosts, counts] = await Promise.all([
      db.host.findMany({ orderBy: { createdAt: "asc" } }),
      db.container.groupBy({ by: ["hostId", "state"], _count: { _all: true } }),
    ]);
    const res = await resourcesOf(ctx.services, hosts.map((h) => h.id));
    const fresh = Date.now() - HOST_ONLINE_MS;
    return hosts.map((h) => {
      const mine = counts.filter((c) => c.hostId === h.id);
      return {
        id: h.id,
        name: h.name,
        online: h.lastSeenAt.getTime() >= fresh,
        lastSeenAt: h.lastSeenAt.toISOString(),
        createdAt: h.createdAt.toISOString(),
        agentLinked: ctx.services.agentLinked ? ctx.services.agentLinked(h.id) : null,
        containers: { running: mine.filter((c) => c.state === "running").reduce((n, c) => n + c._count._all, 0), total: mine.reduce((n, c) => n + c._count._all, 0) },
        resources: res.get(h.id) ?? null,
      };
    });
  }),
});
