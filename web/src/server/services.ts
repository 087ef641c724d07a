import { Queue } from "bullmq";
import { connectRedis, type Redis } from "@berth/core/redis";
import type { PrismaClient } from "@berth/core/db";
import type { Logger } from "@berth/core";

/** Process-wide resources, created once in server.ts and handed to tRPC and socket.io. */
export interface Services {
  db: PrismaClient;
  /** Shared command connection (never used for blocking commands). */
  redis: Redis;
  redisUrl: string;
  log: Logger;
  queues: QueueCache;
  /** A new connection for one blocking reader (XREAD BLOCK); the caller closes it. */
  blockingRedis(): Redis;
  /** Whether host `hostId`'s worker has its /agent link to this web up (set once socket.io is attached). */
  agentLinked?: (hostId: string) => boolean;
}

/** One BullMQ Queue per host queue name, sharing the command connection. */
export class QueueCache {
  private readonly queues = new Map<string, Queue>();
  constructor(private readonly redis: Redis) {}

  get(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis });
      this.queues.set(name, q);
    }
    return q;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}

export function createServices(opts: { db: PrismaClient; redisUrl: string; log: Logger }): Services {
  // API calls fail after a few retries instead of hanging while Redis is down (BullMQ's Queue allows this; only Workers need null).
  const redis = connectRedis(opts.redisUrl, { maxRetriesPerRequest: 3 });
  redis.on("error", (err) => opts.log.warn({ err: err.message }, "redis connection error"));
  return {
    db: opts.db,
    redis,
    redisUrl: opts.redisUrl,
    log: opts.log,
    queues: new QueueCache(redis),
    blockingRedis: () => {
      const r = connectRedis(opts.redisUrl);
      r.on("error", (err) => opts.log.debug({ err: err.message }, "redis (log reader) error"));
      return r;
    },
  };
}
