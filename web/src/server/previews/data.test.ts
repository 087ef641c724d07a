import { describe, expect, it } from "vitest";
import { sourceVolume } from "./data.js";

describe("berth.yaml data: sources", () => {
  it("reads a volume's name as a seed, and env:<environment>[:<volume>] as that environment's volume", () => {
    expect(sourceVolume("seed", "db", "shop")).toEqual({ name: "seed" });
    // the environment's stack is env--staging--shop; its compose volume "db" is env--staging--shop_db
    expect(sourceVolume("env:staging", "db", "shop")).toEqual({ name: "env--staging--shop_db", env: "staging" });
    expect(sourceVolume("env:staging:pgdata", "db", "shop")).toEqual({ name: "env--staging--shop_pgdata", env: "staging" });
  });

  it("refuses an environment name that cannot be one, saying how to write it", () => {
    expect(() => sourceVolume("env:Staging", "db", "shop")).toThrow(/data\.db: "env:Staging" names no environment: write env:<environment>\[:<volume>\], e\.g\. env:staging/);
  });
});
