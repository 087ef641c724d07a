import {
  EDGE_LAST_REQUEST_KEY,
  FREEZE_SWEEP_MS,
  FROZEN_CONTAINERS_KEY,
  STACK_FREEZE_CHANNEL,
  STACK_SESSIONS_KEY,
  effectiveFreezeAfterMs,
  liveSessions,
  isFailedPrecondition,
  publishEvent,
  stackContainers,
  type Logger,
  type StackFreezeMessage,
} from "@berth/core";
import { ComposeProject } from "@berth/core/compose";
import type { PrismaClient } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import type { ContainerManager } from "../containers/index.js";

export interface FreezerDeps {
  db: PrismaClient;
  redis: Redis;
  hostId: string;
  manager: ContainerManager;
  log: Logger;
}

/**
 * Idle freeze: each second, the stacks running on this host whose containers have no open exec,
 * attach or terminal link (web holds a lease in Redis for each), and had no request through the
 * edge (nor a link closing), and no start or `up`, for their idle time (x-berth.freeze_after, else their
 * team's setting; 0: never) are
 * frozen with the cgroup freezer (as `berth pause`: processes keep their memory and connections).
 * The stack row records it (frozenAt); the edge learns it at once (pub/sub and a set in Redis)
 * and holds the next request while web thaws the stack.
 */
export class StackFreezer {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | null = null;

  constructor(private readonly d: FreezerDeps) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .catch((err: unknown) => this.d.log.warn({ err: (err as Error).message }, "stack freeze sweep failed"))
        .finally(() => (this.sweeping = null));
    }, FREEZE_SWEEP_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** One pass: freezes what is idle past its freeze_after. */
  async sweep(now = Date.now()): Promise<void> {
    const stacks = await this.d.db.stack.findMany({ where: { frozenAt: null }, select: { id: true, teamId: true, name: true, project: true, updatedAt: true, team: { select: { freezeAfterMs: true } } } });
    if (!stacks.length) return;
    const sessions = liveSessions(await this.d.redis.hgetall(STACK_SESSIONS_KEY), now);
    // Leases of a web that died lapse; their fields go here (each host may: HDEL of a gone field is a no-op).
    if (sessions.lapsed.length) await this.d.redis.hdel(STACK_SESSIONS_KEY, ...sessions.lapsed);
    for (const st of stacks) {
      const own = ComposeProject.shape.freezeAfterMs.safeParse((JSON.parse(st.project) as { freezeAfterMs?: unknown }).freezeAfterMs).data;
      const freezeAfterMs = effectiveFreezeAfterMs(own, st.team.freezeAfterMs);
      if (!freezeAfterMs || now - st.updatedAt.getTime() < freezeAfterMs) continue;
      const all = await stackContainers(this.d.db, st.teamId, st.name);
      // A stack in the middle of a converge is not idle; one spread over hosts is frozen by each host for its part.
      if (!all.length || (await this.d.db.stackService.count({ where: { stackId: st.id, state: "converging" } }))) continue;
      // Someone has a terminal, exec or attach open in one of its containers (on any host): in use, however quiet.
      if (all.some((c) => sessions.containers.has(c.row.id))) continue;
      const mine = all.filter((c) => c.row.hostId === this.d.hostId && c.row.state === "running");
      if (!mine.length) continue;
      const ids = mine.map((c) => c.row.id);
      const requests = await this.d.redis.hmget(EDGE_LAST_REQUEST_KEY, ...ids);
      const last = Math.max(st.updatedAt.getTime(), ...mine.map((c) => c.row.startedAt?.getTime() ?? 0), ...requests.map((v) => Number(v ?? 0)));
      if (now - last < freezeAfterMs) continue;
      await this.freeze(st, ids);
    }
  }

  private async freeze(st: { id: string; teamId: string; name: string; updatedAt: Date }, ids: string[]): Promise<void> {
    // The edge holds requests first: a request that comes while the containers freeze waits for the thaw.
    await this.d.redis.sadd(FROZEN_CONTAINERS_KEY, ...ids);
    const msg: StackFreezeMessage = { stackId: st.id, frozen: true, containerIds: ids };
    await this.d.redis.publish(STACK_FREEZE_CHANNEL, JSON.stringify(msg));
    const frozen: string[] = [];
    for (const id of ids) {
      try {
        await this.d.manager.pause(id);
        frozen.push(id);
      } catch (err) {
        // Paused by its user already, or stopped meanwhile: nothing to freeze.
        if (!isFailedPrecondition(err)) throw err;
      }
    }
    // updatedAt stays: it says when the stack's file last changed, not when it froze.
    await this.d.db.stack.update({ where: { id: st.id }, data: { frozenAt: new Date(), updatedAt: st.updatedAt } });
    for (const id of frozen) await publishEvent(this.d.redis, { type: "container.pause", id, hostId: this.d.hostId, teamId: st.teamId }, (err) => this.d.log.warn({ err: err.message }, "could not publish container.pause"));
    this.d.log.info({ stack: st.name, containers: frozen.length }, "stack frozen (idle past its freeze_after)");
  }
}
