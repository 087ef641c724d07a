import { Redis, type RedisOptions } from "ioredis";

/** ioredis options for a REDIS_URL; `unix:///path/redis.sock` means a local socket. */
export function redisOptions(url: string): RedisOptions & { path?: string } {
  if (url.startsWith("unix://")) return { path: url.slice("unix://".length) };
  const u = new URL(url);
  const opts: RedisOptions = { host: u.hostname, port: u.port ? Number(u.port) : 6379 };
  if (u.password) opts.password = decodeURIComponent(u.password);
  if (u.username) opts.username = decodeURIComponent(u.username);
  const dbIndex = u.pathname.replace(/^\//, "");
  if (dbIndex) opts.db = Number(dbIndex);
  if (u.protocol === "rediss:") opts.tls = {};
  return opts;
}

/** A connection; `blocking` ones (BullMQ workers, XREAD BLOCK) need maxRetriesPerRequest null. */
export function connectRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis({ ...redisOptions(url), maxRetriesPerRequest: null, ...extra });
}
export { Redis };
