/**
 * Web's server modules run inside the test process against a running instance, as web's own push
 * and deploy pipelines run them: for tests that drive a deploy step by step (previews, releases)
 * without going through HTTP.
 */
import path from "node:path";
import type { PrismaClient } from "@berth/core/db";
import { ROOT, type Instance } from "./harness.js";

type ServicesMod = typeof import("../web/src/server/services.js");
export type WebServices = ReturnType<ServicesMod["createServices"]>;

export interface WebInProcess {
  services: WebServices;
  db: PrismaClient;
  close(): Promise<void>;
}

/** One of web's built modules, by its path under web/src (`server/previews/index.js`). */
export async function webModule<T>(rel: string): Promise<T> {
  return (await import(path.join(ROOT, "web/dist/src", rel))) as T;
}

/**
 * Points this process at `b` the way web reads its configuration (environment variables) and
 * makes web's services (database, Redis, queues) on it; `close()` releases them.
 */
export async function webInProcess(b: Instance, label: string): Promise<WebInProcess> {
  process.env.BERTH_HOME = b.home;
  process.env.BERTH_EDGE_PORT = String(b.edgePort);
  process.env.BERTH_PORT = String(b.port);
  process.env.BERTH_LOG_LEVEL = "error";
  process.env.REDIS_URL = `unix://${path.join(b.home, "redis", "redis.sock")}`;
  delete process.env.DATABASE_URL;
  const { createServices } = await webModule<ServicesMod>("server/services.js");
  const { createDb } = await import("@berth/core/db");
  const { createLogger } = await import("@berth/core");
  const db = createDb(`file:${path.join(b.home, "berth.db")}`);
  const services = createServices({ db, redisUrl: process.env.REDIS_URL, log: createLogger(label, "error") });
  return {
    services,
    db,
    async close() {
      await services.queues.close();
      services.redis.disconnect();
      await db.$disconnect();
    },
  };
}
