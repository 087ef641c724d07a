import fs from "node:fs/promises";
import type { EdgeRouteKey, Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";

/** Where a link's traffic goes: a running container's address on its (first) network. */
export interface EdgeRoute {
  containerId: string;
  ip: string;
  port: number;
}

interface ContainerEntry {
  id: string;
}

interface NetworksFile {
  networks?: { endpoints?: Record<string, { containerId: string; ip: string }> }[];
}

/**
 * The edge's route table: running containers by (team, name) from the DB (read only) and their
 * addresses from the network service's store ($BERTH_HOME/network/networks.json, written by
 * the worker with write-then-rename). Refreshed on a timer and on a miss; a failed refresh
 * keeps the last good table, so the edge serves while web or the worker restarts.
 * A stack's service will be one more kind of key ("s/team/stack/service").
 */
export class RouteTable {
  private containers = new Map<string, ContainerEntry>();
  private ips = new Map<string, string>();
  private refreshing: Promise<void> | null = null;
  private lastRefresh = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: PrismaClient,
    private readonly networksFile: string,
    private readonly log: Logger,
  ) {}

  start(everyMs: number): void {
    this.timer = setInterval(() => void this.refresh(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One refresh at a time; callers during one share it. */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = null;
      this.lastRefresh = Date.now();
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    try {
      const rows = await this.db.container.findMany({ where: { state: { in: ["running", "paused"] } }, select: { id: true, name: true, team: { select: { name: true } } } });
      const next = new Map<string, ContainerEntry>();
      for (const r of rows) next.set(containerKey(r.team.name, r.name), { id: r.id });
      this.containers = next;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "edge: reading containers failed; keeping the last route table");
    }
    try {
      const file = JSON.parse(await fs.readFile(this.networksFile, "utf8")) as NetworksFile;
      const next = new Map<string, string>();
      for (const n of file.networks ?? []) for (const e of Object.values(n.endpoints ?? {})) if (!next.has(e.containerId)) next.set(e.containerId, e.ip);
      this.ips = next;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log.warn({ err: (err as Error).message }, "edge: reading container addresses failed; keeping the last ones");
    }
  }

  private find(key: EdgeRouteKey): EdgeRoute | null {
    if (key.kind !== "container") return null; // stacks: next
    const c = this.containers.get(containerKey(key.team, key.container));
    const ip = c && this.ips.get(c.id);
    return c && ip ? { containerId: c.id, ip, port: key.port } : null;
  }

  /** The route for a key; a miss refreshes once (at most every 200 ms) before giving up. */
  async lookup(key: EdgeRouteKey): Promise<EdgeRoute | null> {
    const hit = this.find(key);
    if (hit) return hit;
    if (Date.now() - this.lastRefresh > 200) await this.refresh();
    return this.find(key);
  }
}

const containerKey = (team: string, name: string) => `${team.toLowerCase()}/${name.toLowerCase()}`;
