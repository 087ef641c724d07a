import type { Job } from "bullmq";
import { BerthError, keyedQueue, NotFound, STACK_RUN_TTL_SECONDS, StackConvergeJob, stackRunStreamKey, writeStackRunEnd, type Logger, type StackEvent, type StackRunEntry } from "@berth/core";
import { ComposeProject } from "@berth/core/compose";
import type { PrismaClient } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import { converge } from "../stacks/converge.js";
import type { StackHost } from "../stacks/host.js";
import { readyHandOff } from "../stacks/ready.js";

export interface StackJobDeps {
  db: PrismaClient;
  redis: Redis;
  host: StackHost;
  log: Logger;
}

/** One converge per stack at a time on this host (a stack's containers all live on one host): a second waits for the first. */
const serialised = keyedQueue();

/**
 * `stack.converge` on the stack's host queue: reads the stack's desired state (its row), converges
 * to it, and streams each progress line to `stack-run:<runId>` (web relays it to `berth stack up`
 * and the dashboard), ending with one end entry. The job's value is the end. A start-first
 * converge (previews, releases) also asks web through that stream whether each new replica is
 * ready (stacks/ready.ts) before the old ones go.
 */
export default function stackConverge(d: StackJobDeps) {
  return async (job: Job): Promise<{ ok: boolean }> => {
    const p = StackConvergeJob.parse(job.data);
    const key = stackRunStreamKey(p.runId);
    const log = d.log.child({ stack: p.stackId.slice(0, 8), run: p.runId.slice(0, 8) });
    let first = true;
    // Sent without waiting: one connection keeps them in order, and the end's script runs after them.
    const emit = (event: StackEvent) => {
      const json = JSON.stringify({ type: "event", event } satisfies StackRunEntry);
      const setTtl = first;
      first = false;
      void (setTtl ? d.redis.multi().xadd(key, "*", "e", json).expire(key, STACK_RUN_TTL_SECONDS).exec() : d.redis.xadd(key, "*", "e", json)).catch((err: unknown) => log.warn({ err }, "writing stack progress failed"));
    };
    const end = async (e: Extract<StackRunEntry, { type: "end" }>) => {
      if (!(await writeStackRunEnd(d.redis, p.runId, e))) log.warn({ ok: e.ok }, "the stack run already had an end; this one is dropped");
      return { ok: e.ok };
    };
    return serialised(p.stackId, async () => {
      try {
        const row = await d.db.stack.findFirst({ where: { id: p.stackId, teamId: p.teamId } });
        if (!row) throw new NotFound(`stack ${p.stackId} (removed before it converged)`);
        const project = ComposeProject.parse(JSON.parse(row.project));
        const startFirst = p.startFirst ? { ...p.startFirst, ready: readyHandOff(d.redis, p.runId) } : undefined;
        await converge({ db: d.db, host: d.host }, { stackId: row.id, project, services: p.services, scope: { teamId: p.teamId, siteAdmin: p.siteAdmin, ...(p.hostPaths ? { hostPaths: p.hostPaths } : {}) }, ...(startFirst ? { startFirst } : {}) }, emit);
        return await end({ type: "end", ok: true });
      } catch (err) {
        const kind = err instanceof BerthError ? err.kind : "Internal";
        if (!(err instanceof BerthError)) log.error({ err }, "stack converge failed");
        else log.warn({ err: (err as Error).message }, "stack converge failed");
        return await end({ type: "end", ok: false, kind, message: (err as Error).message });
      }
    });
  };
}
