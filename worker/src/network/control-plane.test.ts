import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { ControlPlaneGuard, controlPlanePorts } from "./control-plane.js";

const base = { port: 3000, redisUrl: undefined, databaseUrl: "file:/var/lib/berth/berth.db", url: "http://127.0.0.1:3000" };

describe("controlPlanePorts", () => {
  it("is web's port alone with Berth's own Redis (a Unix socket) and SQLite", () => {
    expect(controlPlanePorts({ ...base, redisUrl: "unix:///var/lib/berth/redis/redis.sock" })).toEqual([3000]);
  });

  it("adds a Redis or PostgreSQL of this host, with their default ports", () => {
    expect(controlPlanePorts({ ...base, redisUrl: "redis://localhost", databaseUrl: "postgresql://berth:pw@127.0.0.1:5433/berth" })).toEqual([3000, 5433, 6379]);
    expect(controlPlanePorts({ ...base, redisUrl: "redis://:secret@[::1]:6380/0" })).toEqual([3000, 6380]);
  });

  it("leaves out services on other hosts and web's URL when it names another host", () => {
    expect(controlPlanePorts({ ...base, redisUrl: "redis://redis.internal.example:6379", databaseUrl: "postgres://db.example/berth", url: "https://berth.example.com" })).toEqual([3000]);
  });

  it("adds the port of web's URL when it names this host", () => {
    expect(controlPlanePorts({ ...base, url: "http://localhost:8080" })).toEqual([3000, 8080]);
  });
});

describe("ControlPlaneGuard (real iptables)", () => {
  it("reinstalls with other ports without a moment unguarded: the new rule replaces the old, one jump stays", async () => {
    const tag = randomBytes(3).toString("hex");
    const g = new ControlPlaneGuard(`test-${tag}`, tag);
    try {
      await g.install([3000]);
      expect(await g.rules()).toEqual([expect.stringContaining("--dports 3000 ")]);
      expect(await g.jumps()).toBe(1);
      // A worker start under live containers: installed again, with a port more.
      await g.install([3000, 8080]);
      expect(await g.rules()).toEqual([expect.stringContaining("--dports 3000,8080 ")]);
      expect(await g.jumps()).toBe(1);
      await g.install([]);
      expect(await g.rules()).toEqual([]);
      expect(await g.jumps()).toBe(0);
    } finally {
      await g.remove();
    }
  });
});
