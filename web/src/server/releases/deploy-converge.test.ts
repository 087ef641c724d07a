import { describe, expect, it } from "vitest";
import { ComposeProject } from "@berth/core/compose";
import { statelessServices } from "./deploy-converge.js";
import { describeReadiness, tcpPorts } from "./health-service.js";

const project = ComposeProject.parse({
  name: "env--production--shop",
  workingDir: "release:shop/production",
  services: {
    web: { name: "web", image: "w", expose: ["8080"] },
    api: { name: "api", image: "a", expose: ["9000", "9001/tcp", "53/udp", "7000-7002"] },
    worker: { name: "worker", image: "b", volumes: [{ type: "tmpfs", target: "/tmp" }, { type: "volume", target: "/cache" }] },
    db: { name: "db", image: "d", expose: ["5432"], volumes: [{ type: "volume", source: "data", target: "/var/lib/db" }], healthcheck: { test: ["CMD", "true"] } },
  },
  networks: { default: {} },
  volumes: { data: {} },
});

describe("which services of a release start first", () => {
  it("every service but web without a named volume (anonymous volumes and tmpfs are each replica's own); one with a named volume stops first", () => {
    expect(statelessServices(project, "web")).toEqual(["api", "worker"]);
  });

  it("waits for the ports a stateless service exposes over TCP, or for its healthcheck when it has one", () => {
    expect(tcpPorts(project.services.api!)).toEqual([9000, 9001]);
    expect(describeReadiness(project.services.api!)).toBe("it accepts connections on ports 9000, 9001");
    expect(describeReadiness(project.services.worker!)).toBe("it runs");
    expect(describeReadiness(project.services.db!)).toBe("its healthcheck passes");
  });
});
