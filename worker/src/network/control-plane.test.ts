import { describe, expect, it } from "vitest";
import { controlPlanePorts } from "./control-plane.js";

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
