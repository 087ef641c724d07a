import {
  EDGE_LAST_REQUEST_KEY,
  FROZEN_CONTAINERS_KEY,
  JOB_RUNTIME,
  FailedPrecondition,
  NotFound,
  STACK_FREEZE_CHANNEL,
  isFailedPrecondition,
  publishEvent,
  type ContainerPauseJob,
  type StackFreezeMessage,
} from "@berth/core";
import { LABEL } from "@berth/core/compose";
import type { Services } from "../services.js";
import { runHostJob } from "../images/jobs.js";
import { stackContainers } from "./containers.js";

/**
 * One thaw per stack at a time in this process: requests held for the same stack share it.
 * `running`: its processes run again (what a held request waits for); `done`: the row, the frozen
 * set and the edge are told too (what `up`, `down` and `freeze` wait for).
 */
const thawing = new Map<string, { running: Promise<void>; done: Promise<void> }>();

/**
 * Thaws a frozen stack: its paused containers are thawed on their hosts (the cgroup freezer lets
 * go; their processes carry on where they were), the row forgets the freeze, and the edge hears
 * at once. Its idle clock starts again now. A stack that is not frozen: nothing to do. With
 * `untilRunning`, returns once its processes run again, before the bookkeeping ends (the edge's
 * held request goes on a few writes sooner).
 */
export function thawStack(s: Services, stack: { id: string; teamId: string; name: string }, o: { untilRunning?: boolean } = {}): Promise<void> {
  let t = thawing.get(stack.id);
  if (!t) {
    let ran!: () => void;
    const running = new Promise<void>((resolve) => (ran = resolve));
    const done = doThaw(s, stack, () => ran()).finally(() => thawing.delete(stack.id));
    // A failure reaches whoever waits on `done`; one after `running` resolved is logged here too.
    done.catch((err: unknown) => s.log.warn({ stack: stack.name, err: (err as Error).message }, "thawing the stack failed"));
    t = { running: Promise.race([running, done]), done };
    thawing.set(stack.id, t);
  }
  return o.untilRunning ? t.running : t.done;
}

async function doThaw(s: Services, stack: { id: string; teamId: string; name: string }, running: () => void): Promise<void> {
  // A request waits on this (the edge holds it): what does not depend on each other runs at once.
  const [row, cs] = await Promise.all([s.db.stack.findUnique({ where: { id: stack.id }, select: { frozenAt: true, updatedAt: true } }), stackContainers(s, stack.teamId, stack.name)]);
  const ids = cs.map((c) => c.row.id);
  const touched = ids.length ? s.redis.hset(EDGE_LAST_REQUEST_KEY, Object.fromEntries(ids.map((id) => [id, String(Date.now())]))) : Promise.resolve(0);
  const after: Promise<unknown>[] = [];
  if (row?.frozenAt) {
    const [runtime] = await Promise.all([s.db.containerRuntime.findMany({ where: { containerId: { in: ids }, paused: true }, select: { containerId: true } }), touched]);
    const paused = new Set(runtime.map((r) => r.containerId));
    await Promise.all(
      cs
        .filter((c) => c.row.state === "running" && paused.has(c.row.id))
        .map(async (c) => {
          const payload: ContainerPauseJob = { containerId: c.row.id, paused: false };
          await runHostJob(s, JOB_RUNTIME.containerPause, payload, { hostId: c.row.hostId, timeoutMs: 30_000 });
          after.push(publishEvent(s.redis, { type: "container.unpause", id: c.row.id, hostId: c.row.hostId, teamId: c.row.teamId }, (err) => s.log.warn({ err: err.message }, "could not publish container.unpause")));
        }),
    );
    running();
    // updatedAt stays: it says when the file last changed.
    after.push(s.db.stack.update({ where: { id: stack.id }, data: { frozenAt: null, updatedAt: row.updatedAt } }));
    s.log.info({ stack: stack.name, containers: paused.size }, "stack thawed");
  } else await touched;
  const msg: StackFreezeMessage = { stackId: stack.id, frozen: false, containerIds: ids };
  await Promise.all([...after, ids.length ? s.redis.srem(FROZEN_CONTAINERS_KEY, ...ids) : undefined, s.redis.publish(STACK_FREEZE_CHANNEL, JSON.stringify(msg))]);
}

/**
 * `berth stack freeze`: freezes the stack now, as the worker's idle sweep would (cgroup freezer on
 * each running container's host; processes keep their memory and connections). The edge learns it
 * first, so a request that comes meanwhile is held and thaws the stack. Returns how many
 * containers froze; a stack already frozen: 0.
 */
export async function freezeStack(s: Services, stack: { id: string; teamId: string; name: string }): Promise<{ frozen: number }> {
  // A thaw under way ends first: freezing under it would leave the row and the cgroups disagreeing.
  await thawing.get(stack.id)?.done;
  const row = await s.db.stack.findUnique({ where: { id: stack.id }, select: { frozenAt: true, updatedAt: true } });
  if (!row) throw new NotFound(`stack ${stack.name}`);
  if (row.frozenAt) return { frozen: 0 };
  const running = (await stackContainers(s, stack.teamId, stack.name)).filter((c) => c.row.state === "running");
  if (!running.length) throw new FailedPrecondition(`stack ${stack.name} has no running container to freeze: start it with berth stack up -p ${stack.name}`);
  const ids = running.map((c) => c.row.id);
  await s.redis.sadd(FROZEN_CONTAINERS_KEY, ...ids);
  const msg: StackFreezeMessage = { stackId: stack.id, frozen: true, containerIds: ids };
  await s.redis.publish(STACK_FREEZE_CHANNEL, JSON.stringify(msg));
  let frozen = 0;
  try {
    for (const c of running) {
      const payload: ContainerPauseJob = { containerId: c.row.id, paused: true };
      try {
        await runHostJob(s, JOB_RUNTIME.containerPause, payload, { hostId: c.row.hostId, timeoutMs: 30_000 });
      } catch (err) {
        // Paused by its user already, or stopping meanwhile: nothing to freeze.
        if (isFailedPrecondition(err)) continue;
        throw err;
      }
      frozen++;
      await publishEvent(s.redis, { type: "container.pause", id: c.row.id, hostId: c.row.hostId, teamId: c.row.teamId }, (err) => s.log.warn({ err: err.message }, "could not publish container.pause"));
    }
  } finally {
    // updatedAt stays: it says when the file last changed. Recorded even when a host failed, so
    // the thaw below (or the edge's next request) lets go of what did freeze.
    await s.db.stack.update({ where: { id: stack.id }, data: { frozenAt: new Date(), updatedAt: row.updatedAt } });
  }
  s.log.info({ stack: stack.name, containers: frozen }, "stack frozen (on request)");
  return { frozen };
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
  await thawStack(s, stack, { untilRunning: true });
}

/**
 * Before an exec, attach or terminal session in a container: the session is the stack's activity
 * (its idle clock starts again), and a frozen stack is thawed first, since a process joining a
 * frozen cgroup would itself be frozen and the session would hang.
 */
export async function thawForSession(s: Services, containerId: string): Promise<void> {
  await s.redis.hset(EDGE_LAST_REQUEST_KEY, containerId, String(Date.now()));
  if (await s.redis.sismember(FROZEN_CONTAINERS_KEY, containerId)) await thawStackOf(s, containerId);
}
