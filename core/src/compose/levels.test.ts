import { describe, expect, it } from "vitest";
import { ComposeProject } from "./model.js";
import { dependencyLevels, startOrder } from "./order.js";

const project = (deps: Record<string, string[]>) =>
  ComposeProject.parse({
    name: "p",
    workingDir: "/w",
    networks: {},
    volumes: {},
    services: Object.fromEntries(
      Object.entries(deps).map(([name, on]) => [name, { name, image: "busybox", dependsOn: Object.fromEntries(on.map((d) => [d, { condition: "service_started", required: true, restart: false }])) }]),
    ),
  });

describe("dependencyLevels", () => {
  it("puts services that do not depend on each other in one level, each after all it depends on", () => {
    const p = project({ web: [], db: [], cache: [], worker: ["db", "web"], report: ["worker"], admin: ["db"] });
    expect(dependencyLevels(p, startOrder(p, [])).map((l) => [...l].sort())).toEqual([["cache", "db", "web"], ["admin", "worker"], ["report"]]);
  });

  it("a chain stays a chain", () => {
    const p = project({ a: [], b: ["a"], c: ["b"] });
    expect(dependencyLevels(p, startOrder(p, []))).toEqual([["a"], ["b"], ["c"]]);
  });
});
