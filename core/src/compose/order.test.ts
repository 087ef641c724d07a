import { describe, expect, it } from "vitest";
import { ComposeProject } from "./model.js";
import { isInvalidArgument } from "../errors.js";
import { startOrder } from "./order.js";
import { configHash } from "./labels.js";

const project = (deps: Record<string, string[]>) =>
  ComposeProject.parse({
    name: "p",
    workingDir: "/w",
    networks: {},
    volumes: {},
    services: Object.fromEntries(Object.entries(deps).map(([name, on]) => [name, { name, image: "busybox", dependsOn: Object.fromEntries(on.map((d) => [d, {}])) }])),
  });

describe("startOrder", () => {
  it("puts every dependency before what depends on it", () => {
    expect(startOrder(project({ worker: ["db", "web"], web: ["db"], db: [] }), [])).toEqual(["db", "web", "worker"]);
  });
  it("brings the dependencies of the services asked for, and nothing else", () => {
    expect(startOrder(project({ worker: ["db"], web: [], db: [] }), ["worker"])).toEqual(["db", "worker"]);
  });
  it("names a cycle and an unknown service", () => {
    const cycle = (() => {
      try {
        startOrder(project({ a: ["b"], b: ["a"] }), []);
      } catch (err) {
        return err as Error;
      }
    })();
    expect(isInvalidArgument(cycle)).toBe(true);
    expect(cycle?.message).toMatch(/a -> b -> a/);
    expect(() => startOrder(project({ a: [] }), ["nope"])).toThrow(/no such service: nope/);
  });
});

describe("configHash", () => {
  it("changes with the service's configuration but not with its replica count", () => {
    const base = project({ a: [] }).services.a!;
    expect(configHash({ ...base, replicas: 3 })).toBe(configHash(base));
    expect(configHash({ ...base, environment: { X: "1" } })).not.toBe(configHash(base));
  });
});
