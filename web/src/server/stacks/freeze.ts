import {
  EDGE_LAST_REQUEST_KEY,
  FROZEN_CONTAINERS_KEY,
  JOB_RUNTIME,
  NotFound,
  STACK_FREEZE_CHANNEL,
  publishEvent,
  type ContainerPauseJob,
  type StackFreezeMessage,
} from "@berth/core";
import { LABEL } from "@berth/core/compose";
import type { Services } from "../services.js";
import { runHostJob } from "../images/jobs.js";
import { stackContainers } from "./containers.js";

/** One thaw per stack at a time in this process: requests held for the same stack share it. */
const thawing = new Map<string, Promise<void>>();

/**
 * Thaws a frozen stack: its paused containers are thawed on their hosts (the cgroup freezer lets
 * go; their processes carry on where they were), the row forgets the freeze, and the edge hears
 * at once. Its idle clock starts again now. A stack that is not frozen: nothing to do.
 */
export function thawStack(s: Services, stack: { id: string; teamId: string; name: string }): Promise<void> {
  let p = thawing.get(stack.id);
  if (!p) {
    p = doThaw(s, stack).finally(() => thawing.delete(stack.id));
    thawing.set(stack.id, p);
  }
  return p;
}

async function doThaw(s: Services, stack: { id: string; teamId: string; name: string }): Promise<void> {
  const row = await s.db.stack.findUnique({ where: { id: stack.id }, select: { frozenAt: true, updatedAt: true } });
  const cs = await stackContainers(s, stack.teamId, stack.name);
  const ids = cs.map((c) => c.row.id);
  if (ids.length) await s.redis.hset(EDGE_LAST_REQUEST_KEY, Object.fromEntries(ids.map((id) => [id, String(Date.now())])));
  if (row?.frozenAt) {
    const paused = new Set((await s.db.containerRuntime.findMany({ where: { containerId: { in: ids }, paused: true }, select: { containerId: true } })).map((r) => r.containerId));
    await Promise.all(
      cs
        .filter((c) => c.row.state === "running" && paused.has(c.row.id))
        .map(async (c) => {
          const payload: ContainerPauseJob = { containerId: c.row.id, paused: false };
          await runHostJob(s, JOB_RUNTIME.containerPause, payload, { hostId: c.row.hostId, timeoutMs: 30_000 });
          await publishEvent(s.redis, { type: "container.unpause", id: c.row.id, hostId: c.row.hostId, teamId: c.row.teamId }, (err) => s.log.warn({ err: err.message }, "could not publish container.unpause"));
        }),
    );
    // updatedAt stays: it says when the file last changed.
    await s.db.stack.update({ where: { id: stack.id }, data: { frozenAt: null, updatedAt: row.updatedAt } });
    s.log.info({ stack: stack.name, containers: paused.size }, "stack thawed");
  }
  if (ids.length) await s.redis.srem(FROZEN_CONTAINERS_KEY, ...ids);
  const msg: StackFreezeMessage = { stackId: stack.id, frozen: false, containerIds: ids };
  await s.redis.publish(STACK_FREEZE_CHANNEL, JSON.stringify(msg));
}

/** The edge holds a request for this container: thaw the stack it belongs to. */
export async function thawStackOf(s: Services, containerId: string): Promise<void> {
  const c = await s.db.container.findUnique({ where: { id: containerId }, select: { teamId: true, options: true } });
  const name = c ? (JSON.parse(c.options || "{}") as { labels?: Record<string, string> }).labels?.[LABEL.project] : undefined;
  const stack = c && name ? await s.db.stack.findUnique({ where: { teamId_name: { teamId: c.teamId, name } }, select: { id: true, teamId: true, name: true } }) : null;
  if (!stack) {
    // Not (or no longer) a stack's: nothing frozen to hold for.
    await s.redis.srem(FROZEN_CONTAINERS_KEY, containerId);
    if (!c) throw new NotFound(`container ${containerId}`);
    return;
  }
  await thawStack(s, stack);
}
