import { describe, expect, it } from "vitest";
import { releaseProject, RELEASE_LABEL } from "./deploy-project.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const project = {
  name: "shop",
  workingDir: "/src",
  services: {
    web: { name: "web", image: "acme/shop/web:abc", ports: [{ target: 8080 }], environment: { LEVEL: "info", GREETING: "from the file" }, labels: { "berth.web.port": "8080", "berth.preview.project": "shop", "berth.preview.branch": "main" } },
    api: { name: "api", build: { context: "/src/api" }, expose: ["9000"] },
  },
  networks: { default: {} },
  volumes: {},
};
const release = (o: { images?: object; health?: object; project?: object } = {}) => ({
  number: 7,
  images: JSON.stringify(o.images ?? { web: D("a"), api: D("b") }),
  project: JSON.stringify(o.project ?? project),
  health: JSON.stringify(o.health ?? { kind: "http", path: "/healthz" }),
});
const env = { name: "production", replicas: 3, cpus: 0.5, memoryBytes: 256n << 20n };

describe("releaseProject", () => {
  it("runs every service on its digest with the config as environment, nothing published, the web service scaled and limited", () => {
    const p = releaseProject(release(), env, "env--production--shop", "shop", { GREETING: "hello", DATABASE_URL: "postgres://db" });
    expect(p.web).toEqual({ service: "web", port: 8080 });
    expect(p.project.name).toBe("env--production--shop");
    const { web, api } = p.project.services;
    expect([web!.image, api!.image]).toEqual([D("a"), D("b")]);
    expect(api!.build).toBeUndefined();
    expect(web!.ports).toEqual([]);
    expect(web!.expose).toEqual(["8080"]);
    expect(web!.environment).toEqual({ LEVEL: "info", GREETING: "hello", DATABASE_URL: "postgres://db" });
    expect(api!.environment).toEqual({ GREETING: "hello", DATABASE_URL: "postgres://db" });
    expect(web!.replicas).toBe(3);
    expect(api!.replicas).toBe(1);
    expect(web!.limits).toEqual({ cpus: 0.5, memory: 256 * 2 ** 20 });
    // Its own labels, not the preview's it came from; only the web replicas carry the release number.
    expect(web!.labels).toEqual({ "berth.web.port": "8080", [RELEASE_LABEL.project]: "shop", [RELEASE_LABEL.env]: "production", [RELEASE_LABEL.number]: "7" });
    expect(api!.labels[RELEASE_LABEL.number]).toBeUndefined();
    expect(p.health).toMatchObject({ kind: "http", path: "/healthz", intervalMs: 1_000, retries: 3, implicit: false });
  });

  it("makes a command check the web service's healthcheck, as Compose's test", () => {
    const p = releaseProject(release({ health: { kind: "command", test: ["curl", "-f", "localhost"], intervalMs: 500, retries: 5, startPeriodMs: 0 } }), env, "s", "shop", {});
    expect(p.project.services.web!.healthcheck).toEqual({ test: ["CMD", "curl", "-f", "localhost"], intervalMs: 500, timeoutMs: 5_000, retries: 5, startPeriodMs: 0, startIntervalMs: 500 });
    expect(p.project.services.api!.healthcheck).toBeUndefined();
  });

  it("refuses a service without a digest, a bind mount, and a project that names no web service", () => {
    expect(() => releaseProject(release({ images: { web: D("a") } }), env, "s", "shop", {})).toThrow(/service "api" has no image digest in the release's images \(it has web\)/);
    const bind = { ...project, services: { ...project.services, api: { ...project.services.api, volumes: [{ type: "bind", source: "/etc", target: "/x" }] } } };
    expect(() => releaseProject(release({ project: bind }), env, "s", "shop", {})).toThrow(/service "api" bind-mounts \/etc/);
    const two = { ...project, services: { a: { name: "a", expose: ["1"] }, b: { name: "b", expose: ["2"] } } };
    expect(() => releaseProject(release({ project: two, images: { a: D("a"), b: D("b") } }), env, "s", "shop", {})).toThrow(/cannot tell which service takes the traffic \(services: a, b\): label it berth.web.port/);
  });
});
