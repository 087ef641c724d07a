import { randomUUID } from "node:crypto";
import { EDGE_POLICY_CHANNEL, edgePolicyAckKey, type Logger } from "@berth/core";
import { onTableWrite } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import { AUTH_TABLES } from "../auth/cache.js";

/** How long a change waits for the edges to say they forgot: past it, the change is answered anyway. */
const ACK_WAIT_MS = 1_000;
const ACK_POLL_MS = 5;

/**
 * Tells the edges (EDGE_POLICY_CHANNEL) that an input of their policy answers changed (a link's
 * visibility, a session signed out) and waits until each has forgotten its cached answers and its
 * fast path's grants: the caller's answer then reaches the client after the edge knows, so the
 * client's very next request through a link meets the new policy.
 */
export async function announcePolicyChange(redis: Redis, why: string): Promise<void> {
  const id = randomUUID();
  const edges = await redis.publish(EDGE_POLICY_CHANNEL, `${id} ${why}`);
  const until = Date.now() + ACK_WAIT_MS;
  while (edges > 0 && Date.now() < until) {
    if ((await redis.llen(edgePolicyAckKey(id))) >= edges) return;
    await new Promise((r) => setTimeout(r, ACK_POLL_MS));
  }
}

/**
 * Tells the edge whenever this process writes a table its policy answers are read from (a token
 * revoked, a member removed...), in the write's own tick, without waiting for it (the write may
 * be inside a transaction): the PUBLISH still reaches Redis before the answer of the request that
 * made the change. Sign-out and visibility changes also wait (announcePolicyChange).
 */
export function announcePolicyChanges(redis: Redis, log: Logger): () => void {
  return onTableWrite(AUTH_TABLES, () => {
    redis.publish(EDGE_POLICY_CHANNEL, "- auth").catch((err: unknown) => log.warn({ err: (err as Error).message }, "telling the edge that a session or token changed failed"));
  });
}
