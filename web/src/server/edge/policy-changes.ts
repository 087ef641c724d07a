import { EDGE_POLICY_CHANNEL, type Logger } from "@berth/core";
import { onTableWrite } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import { AUTH_TABLES } from "../auth/cache.js";

/**
 * Tells the edge (EDGE_POLICY_CHANNEL) whenever this process writes a table its policy answers
 * are read from (a session ended, a token revoked, a member removed...): the edge forgets them at
 * once instead of serving them until their TTL ends. Published in the write's own tick (not
 * batched for later): the PUBLISH then reaches Redis before the answer of the request that made
 * the change reaches its client, so the client's next request meets an edge that knows.
 */
export function announcePolicyChanges(redis: Redis, log: Logger): () => void {
  return onTableWrite(AUTH_TABLES, () => {
    redis.publish(EDGE_POLICY_CHANNEL, "auth").catch((err: unknown) => log.warn({ err: (err as Error).message }, "telling the edge that a session or token changed failed"));
  });
}
