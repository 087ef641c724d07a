/**
 * The start-first hand-off, worker side: a `ready` entry in the run's stream asks web to run the
 * service's `ready` (release command, HTTP readiness, the edge's route switch) for the replicas
 * just started; web pushes its answer to stackReadyReplyKey, which this waits on with a blocking
 * pop on a connection of its own (the shared one carries the run's progress meanwhile).
 */
import { randomUUID } from "node:crypto";
import { BerthError, StackReadyReply, stackReadyFollowerKey, stackReadyReplyKey, STACK_RUN_TTL_SECONDS, stackRunStreamKey, Unavailable, type ErrorKind, type StackContainer, type StackReadyContainer, type StackReadyRequest, type StackRunEntry } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import type { ReadyHandOff } from "./start-first.js";

/**
 * The longest the worker waits for web's answer: a release command and a health check may take
 * minutes; past this, web is taken to be gone (restarted mid-deploy) and the new replicas go.
 */
export const READY_WAIT_SECONDS = 30 * 60;

/** How often the wait checks that a web still follows the run (its key lives 15 s unrefreshed). */
const FOLLOWER_CHECK_SECONDS = 5;

const KINDS: readonly ErrorKind[] = ["NotFound", "AlreadyExists", "InvalidArgument", "FailedPrecondition", "Unavailable", "Unauthenticated", "PermissionDenied"];

const wire = (c: StackContainer): StackReadyContainer => ({ id: c.row.id, name: c.row.name, number: c.number });

/** The hand-off of run `runId`: each call writes one ready request to the run's stream and waits for web's answer. */
export function readyHandOff(redis: Redis, runId: string, waitSeconds = READY_WAIT_SECONDS): ReadyHandOff {
  return async (service, keep, replaced) => {
    const id = randomUUID();
    const ask: StackReadyRequest = { type: "ready", id, service, keep: keep.map(wire), replaced: replaced.map(wire) };
    const stream = stackRunStreamKey(runId);
    // On the shared connection: it keeps the request after the progress lines sent before it.
    await redis
      .multi()
      .xadd(stream, "*", "e", JSON.stringify(ask satisfies StackRunEntry))
      .expire(stream, STACK_RUN_TTL_SECONDS)
      .exec();
    const conn = redis.duplicate();
    const names = keep.map((c) => c.row.name).join(", ");
    let popped: [string, string] | null = null;
    try {
      // In short pops: between them, a web that stopped following (restarted mid-deploy) ends the wait.
      const end = Date.now() + waitSeconds * 1000;
      while (!popped && Date.now() < end) {
        popped = await conn.blpop(stackReadyReplyKey(runId, id), Math.max(1, Math.min(FOLLOWER_CHECK_SECONDS, Math.ceil((end - Date.now()) / 1000))));
        if (!popped && (await redis.exists(stackReadyFollowerKey(runId))) === 0) {
          // One last look: the answer may have come just as the key went.
          popped = await conn.lpop(stackReadyReplyKey(runId, id)).then((v) => (v === null ? null : ([stackReadyReplyKey(runId, id), v] as [string, string])));
          if (!popped) throw new Unavailable(`service "${service}": web stopped following this deploy (restarted or stopped?) before it said whether ${names} is ready: the new replicas go, the old ones stay`);
        }
      }
    } finally {
      conn.disconnect();
    }
    if (!popped) throw new Unavailable(`service "${service}": web did not answer whether ${names} is ready within ${Math.round(waitSeconds / 60)} min: the new replicas go, the old ones stay`);
    const reply = StackReadyReply.parse(JSON.parse(popped[1]));
    if (!reply.ok) throw new BerthError(KINDS.includes(reply.kind as ErrorKind) ? (reply.kind as ErrorKind) : "FailedPrecondition", reply.message);
    return { retain: reply.retain };
  };
}
