/**
 * The start-first hand-off, web side. Previews and releases converge through the worker's
 * `stack.converge` job like `berth stack up`, with some services replaced start-first: the worker
 * starts a new replica beside the old one, then writes a `ready` request to the run's stream and
 * waits. Web, following the run, runs the service's hook (release command, HTTP readiness, the
 * edge's route switch) and pushes its answer; only then does the worker remove the old replicas.
 */
import { BerthError, STACK_READY_FOLLOWER_TTL_SECONDS, STACK_RUN_TTL_SECONDS, stackReadyFollowerKey, stackReadyReplyKey, type StackEvent, type StackReadyContainer, type StackReadyReply, type StackReadyRequest } from "@berth/core";
import type { Services } from "../services.js";
import { stackContainers, type StackContainer } from "./containers.js";
import { PROGRESS_WAIT_MS, runProgress } from "./run.js";

/**
 * A service replaced one replica at a time: called with the replica to keep (started, with no
 * traffic yet) and the ones it replaces; it checks health and moves traffic. Throwing stops the
 * converge: the new replica goes, the old ones stay.
 */
export type StartFirst = (keep: StackContainer, replaced: StackContainer[]) => Promise<void>;
/**
 * A service whose replicas are replaced all at once (environment releases): called with every new
 * replica and all the old ones; it moves traffic to all new replicas in one switch and says which
 * old ones to retain (kept stopped, to roll back to). Throwing: the new replicas go, the old stay.
 */
export type StartFirstAll = (keep: StackContainer[], replaced: StackContainer[]) => Promise<{ retain?: string[] } | void>;

export interface ReadyHooks {
  startFirst?: Record<string, StartFirst>;
  startFirstAll?: Record<string, StartFirstAll>;
}

/** The longest a reply may be (the contract's bound): a longer error message is cut. */
const MAX_MESSAGE = 8000;

/** The rows of the request's containers, as converge saw them (by replica); a container gone since is an error naming it. */
async function containersOf(s: Services, teamId: string, stack: string, ask: StackReadyRequest) {
  const all = new Map((await stackContainers(s, teamId, stack)).map((c) => [c.row.id, c]));
  const find = (c: StackReadyContainer): StackContainer => {
    const found = all.get(c.id);
    if (!found) throw new BerthError("FailedPrecondition", `service "${ask.service}": container ${c.name} (${c.id.slice(0, 12)}) was removed during the deploy`);
    return found;
  };
  return { keep: ask.keep.map(find), replaced: ask.replaced.map(find) };
}

/** Runs the hook the request names and pushes its answer for the worker. */
async function answer(s: Services, teamId: string, stack: string, runId: string, ask: StackReadyRequest, hooks: ReadyHooks): Promise<void> {
  let reply: StackReadyReply;
  try {
    const { keep, replaced } = await containersOf(s, teamId, stack, ask);
    const all = hooks.startFirstAll?.[ask.service];
    const one = hooks.startFirst?.[ask.service];
    if (all) reply = { ok: true, retain: (await all(keep, replaced))?.retain ?? [] };
    else if (one && keep.length === 1) {
      await one(keep[0]!, replaced);
      reply = { ok: true, retain: [] };
    } else throw new BerthError("FailedPrecondition", `service "${ask.service}": the worker asked whether ${keep.length} replica(s) are ready, but this deploy replaces it ${one ? "one replica at a time" : "stop-first"} (is the worker older than web?)`);
  } catch (err) {
    reply = { ok: false, kind: err instanceof BerthError ? err.kind : "FailedPrecondition", message: ((err as Error).message || String(err)).slice(0, MAX_MESSAGE) };
  }
  const key = stackReadyReplyKey(runId, ask.id);
  await s.redis.multi().rpush(key, JSON.stringify(reply)).expire(key, STACK_RUN_TTL_SECONDS).exec();
}

/**
 * Follows run `runId` of stack `stack` to its end, relaying each progress line to `onEvent` and
 * answering each ready request with the hooks (one at a time, in the order the worker asks).
 */
export async function followStartFirst(s: Services, teamId: string, stack: { id: string; name: string }, runId: string, hooks: ReadyHooks, onEvent: (e: StackEvent) => void): Promise<{ error?: string }> {
  // While this web follows, the worker waits for its answers; once the key lapses it stops waiting.
  const follower = stackReadyFollowerKey(runId);
  const beat = () => void s.redis.set(follower, "1", "EX", STACK_READY_FOLLOWER_TTL_SECONDS).catch((err: unknown) => s.log.warn({ err: (err as Error).message, runId }, "could not refresh the start-first follower key"));
  beat();
  const timer = setInterval(beat, (STACK_READY_FOLLOWER_TTL_SECONDS * 1000) / 3);
  timer.unref();
  try {
    let cursor = "0";
    for (;;) {
      const p = await runProgress(s, teamId, stack.id, runId, cursor, PROGRESS_WAIT_MS, { ready: true });
      for (const e of p.events) onEvent(e);
      cursor = p.cursor;
      if (p.ready) await answer(s, teamId, stack.name, runId, p.ready, hooks);
      if (p.end) return p.end.ok ? {} : { error: p.end.message };
    }
  } finally {
    clearInterval(timer);
    await s.redis.del(follower).catch(() => {});
  }
}
