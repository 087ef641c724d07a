import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { connectRedis, type Redis } from "@berth/core/redis";

/** A real redis-server of the test file's own, on a unix socket in a temporary directory (no persistence). */
export interface TestRedis {
  redis: Redis;
  url: string;
  dir: string;
}

/** Starts the server before the file's tests and stops it after; read `.redis` inside a test. */
export function useRedisServer(name: string): TestRedis {
  const t = {} as TestRedis;
  let server: ChildProcess | undefined;
  beforeAll(async () => {
    t.dir = fs.mkdtempSync(path.join(os.tmpdir(), `berth-${name}-`));
    const sock = path.join(t.dir, "redis.sock");
    t.url = `unix://${sock}`;
    server = spawn("redis-server", ["--port", "0", "--unixsocket", sock, "--unixsocketperm", "700", "--dir", t.dir, "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    t.redis = connectRedis(t.url);
    await t.redis.ping();
  });
  afterAll(() => {
    t.redis?.disconnect();
    server?.kill("SIGTERM");
    if (t.dir) fs.rmSync(t.dir, { recursive: true, force: true });
  });
  return t;
}
