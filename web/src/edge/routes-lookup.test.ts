/**
 * A link to a container that was running when its request came is found, however the edge's
 * route table's loads fall around it. The database here is a stand-in whose reads answer the
 * rows as they were when the read began (what SQLite's snapshot does) and can be held: the
 * race is between a load that read just before a container started and a request just after.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { Inflight } from "./inflight.js";
import { RouteTable } from "./routes.js";

interface Row {
  id: string;
  name: string;
  options: string;
  createdAt: Date;
  team: { name: string };
}

const tables: RouteTable[] = [];
const homes: string[] = [];
afterEach(() => {
  tables.splice(0).forEach((t) => t.stop());
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

const service = (id: string, name: string): Row => ({
  id,
  name: `shop-${name}-1`,
  options: JSON.stringify({ labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": name, "com.docker.compose.container-number": "1" } }),
  createdAt: new Date(),
  team: { name: "acme" },
});
const key = (name: string) => ({ kind: "stack" as const, team: "acme", stack: "shop", service: name, port: 8080 });

/** A table over rows and addresses the test changes; `hold` makes the next read wait (after it read) until released. */
function edge() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "routes-lookup-"));
  homes.push(home);
  fs.mkdirSync(path.join(home, "network"));
  const rows: Row[] = [];
  const endpoints: Record<string, { containerId: string; ip: string }> = {};
  const writeNetworks = () => fs.writeFileSync(path.join(home, "network", "networks.json"), JSON.stringify({ networks: [{ endpoints }] }));
  writeNetworks();
  let gate: Promise<void> | null = null;
  let reads = 0;
  const db = {
    container: {
      findMany: async () => {
        reads++;
        const snapshot = [...rows];
        if (gate) await gate;
        return snapshot;
      },
    },
  } as unknown as PrismaClient;
  const table = new RouteTable(db, home, createLogger("test", "silent"), new Inflight());
  tables.push(table);
  return {
    table,
    reads: () => reads,
    start(id: string, name: string, ip: string) {
      rows.push(service(id, name));
      endpoints[id] = { containerId: id, ip };
      writeNetworks();
    },
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

describe("the edge's route table", () => {
  it("finds a container started while a load that read before it is still in flight", async () => {
    const e = edge();
    e.start("web1", "web", "10.0.0.2");
    await e.table.refresh();
    const release = e.hold();
    // The timer's load reads (no cache yet) and is held; cache starts; its first request comes.
    const stale = e.table.refresh();
    e.start("cache1", "cache", "10.0.0.3");
    const found = e.table.lookup([key("cache")]);
    release();
    await stale;
    expect((await found)?.route).toEqual({ containerId: "cache1", ip: "10.0.0.3", port: 8080 });
  });

  it("finds a container started just after a load ended, and misses share loads", async () => {
    const e = edge();
    e.start("web1", "web", "10.0.0.2");
    await e.table.refresh();
    e.start("cache1", "cache", "10.0.0.3");
    const before = e.reads();
    const answers = await Promise.all([e.table.lookup([key("cache")]), ...Array.from({ length: 20 }, () => e.table.lookup([key("nope")]))]);
    expect(answers[0]?.route.containerId).toBe("cache1");
    expect(answers.slice(1).every((a) => a === null)).toBe(true);
    // 21 misses at once: one load (a second at most, had the first begun before some of them).
    expect(e.reads() - before).toBeLessThanOrEqual(2);
    // A hit asks nothing.
    expect((await e.table.lookup([key("web")]))?.route.ip).toBe("10.0.0.2");
    expect(e.reads() - before).toBeLessThanOrEqual(2);
  });
});
