import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, type NamedRoute } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { Inflight } from "./inflight.js";
import { readServed, setNamedRoute, switchNamedRoute } from "./named-routes.js";
import { RouteTable } from "./routes.js";

const route = (containerId: string): NamedRoute => ({ upstream: { containerId, port: 8080 }, teamId: "t1", linkId: "stack:s1:web", defaultVisibility: "team", labels: {}, since: new Date().toISOString() });
const key = { kind: "preview" as const, team: "acme", project: "shop", branch: "main" };
const NAME = "preview/acme/shop/main";

const tables: RouteTable[] = [];
afterEach(() => tables.splice(0).forEach((t) => t.stop()));

/** An edge's route table over a fresh home: no DB rows, two containers with addresses. */
async function edge(): Promise<{ home: string; table: RouteTable; inflight: Inflight }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "named-routes-"));
  fs.mkdirSync(path.join(home, "network"));
  const endpoints = { a: { containerId: "old", ip: "10.0.0.2" }, b: { containerId: "new", ip: "10.0.0.3" }, c: { containerId: "new2", ip: "10.0.0.4" }, d: { containerId: "old2", ip: "10.0.0.5" } };
  fs.writeFileSync(path.join(home, "network", "networks.json"), JSON.stringify({ networks: [{ endpoints }] }));
  const db = { container: { findMany: async () => [] } } as unknown as PrismaClient;
  const inflight = new Inflight();
  const table = new RouteTable(db, home, createLogger("test", "silent"), inflight);
  tables.push(table);
  await setNamedRoute(home, NAME, route("old"));
  await table.refresh();
  table.start(60_000);
  return { home, table, inflight };
}

describe("named routes", () => {
  it("a switch is served at once, and waits for the old upstream's requests to finish", async () => {
    const { home, table, inflight } = await edge();
    expect(table.find(key)).toEqual({ containerId: "old", ip: "10.0.0.2", port: 8080 });
    const release = inflight.acquire("old");
    let settled = false;
    const switching = switchNamedRoute(home, NAME, route("new"), { old: "old", drainMs: 10_000 }).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    // New requests already go to the new upstream; the switch still waits for the old one's request.
    expect(table.find(key)?.containerId).toBe("new");
    expect(settled).toBe(false);
    expect((await readServed(home))?.draining).toEqual({ old: 1 });
    release();
    expect(await switching).toEqual({ served: true, drained: true });
    expect((await readServed(home))?.draining).toEqual({});
  });

  it("never leaves a drained upstream reading as draining, however requests and switches interleave", async () => {
    const { home, inflight } = await edge();
    for (let i = 0; i < 100; i++) {
      const [from, to] = i % 2 ? ["new", "old"] : ["old", "new"];
      const releases = [inflight.acquire(from), inflight.acquire(from)];
      const switching = switchNamedRoute(home, NAME, route(to), { old: from, drainMs: 5_000 });
      setTimeout(() => releases[0]!(), i % 3);
      setTimeout(() => releases[1]!(), i % 5);
      expect(await switching).toEqual({ served: true, drained: true });
    }
  });

  it("a removed route is no longer served; with no edge running a switch does not wait", async () => {
    const { home, table } = await edge();
    expect(await switchNamedRoute(home, NAME, null)).toEqual({ served: true, drained: true });
    expect(table.find(key)).toBeNull();
    table.stop();
    const lone = fs.mkdtempSync(path.join(os.tmpdir(), "named-routes-"));
    expect(await switchNamedRoute(lone, NAME, route("x"), { old: "y" })).toEqual({ served: false, drained: false });
  });

  it("balances across every upstream of a route, and a switch waits for each old one to drain", async () => {
    const { home, table, inflight } = await edge();
    const many = (ids: string[]): NamedRoute => ({ ...route(ids[0]!), upstreams: ids.map((containerId) => ({ containerId, port: 8080 })) });
    await switchNamedRoute(home, NAME, many(["old", "old2"]), { old: "old" });
    const seen = new Set(Array.from({ length: 4 }, () => table.find(key)?.containerId));
    expect([...seen].sort()).toEqual(["old", "old2"]);
    const releases = [inflight.acquire("old"), inflight.acquire("old2")];
    let settled = false;
    const switching = switchNamedRoute(home, NAME, many(["new", "new2"]), { old: ["old", "old2"], drainMs: 10_000 }).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(new Set(Array.from({ length: 4 }, () => table.find(key)?.containerId))).toEqual(new Set(["new", "new2"]));
    releases[0]!();
    await new Promise((r) => setTimeout(r, 200));
    // One old replica still has a request: the switch is not done.
    expect(settled).toBe(false);
    expect((await readServed(home))?.draining).toEqual({ old2: 1 });
    releases[1]!();
    expect(await switching).toEqual({ served: true, drained: true });
  });
});
