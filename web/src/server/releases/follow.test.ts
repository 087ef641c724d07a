import { describe, expect, it } from "vitest";
import { ComposeProject, IMAGE_LABEL, LABEL } from "@berth/core/compose";
import type { PreviewSource } from "../previews/source.js";
import { releaseHealth, releaseProject, WEB_PORT_LABEL } from "./follow.js";
import { releaseNumber } from "./read.js";

const WEB = `sha256:${"a".repeat(64)}`;
const API = `sha256:${"b".repeat(64)}`;

function source(over: Partial<PreviewSource> = {}, volumes: unknown[] = []): PreviewSource {
  const project = ComposeProject.parse({
    name: "main--shop",
    workingDir: "/tmp/checkout",
    services: {
      web: { name: "web", build: { context: "/tmp/checkout/web" }, ports: [{ target: 8080, published: 80 }], labels: { "berth.preview.branch": "main", [LABEL.project]: "main--shop", keep: "me" } },
      api: { name: "api", image: "busybox", expose: ["9000"], volumes },
    },
    networks: {},
    volumes: {},
  });
  return { from: "compose.yaml", config: {}, project, web: { service: "web", port: 8080 }, warnings: [], ...over };
}

describe("a release made from a previewed commit", () => {
  it("names every image by id, publishes nothing on the host, labels the web service and drops the preview's labels", () => {
    const p = releaseProject(source(), { web: WEB, api: API }, "env--staging--shop", "env:shop/staging");
    expect(p.name).toBe("env--staging--shop");
    expect(p.services.web).toMatchObject({ image: WEB, ports: [], expose: ["8080"] });
    expect(p.services.web!.build).toBeUndefined();
    expect(p.services.web!.labels).toEqual({ keep: "me", [IMAGE_LABEL]: WEB, [WEB_PORT_LABEL]: "8080" });
    expect(p.services.api).toMatchObject({ image: API, expose: ["9000"], labels: { [IMAGE_LABEL]: API } });
  });

  it("refuses a bind mount: a release runs images, not the host's directories", () => {
    const src = source({}, [{ type: "bind", source: "/srv", target: "/srv" }]);
    expect(() => releaseProject(src, { web: WEB, api: API }, "s", "w")).toThrow(/bind-mounts \/srv/);
  });

  it("checks berth.yaml's health path, else the image's own check, else that the web service answers HTTP", () => {
    expect(releaseHealth(source({ web: { service: "web", port: 8080, health: { path: "/healthz", status: 204 } } }))).toMatchObject({ kind: "http", path: "/healthz", status: 204, implicit: false });
    const withCheck = source();
    withCheck.project.services.web!.healthcheck = { test: ["CMD", "true"], intervalMs: 1000, timeoutMs: 1000, retries: 1, startPeriodMs: 0, startIntervalMs: 1000 };
    expect(releaseHealth(withCheck)).toMatchObject({ kind: "image" });
    expect(releaseHealth(source())).toMatchObject({ kind: "http", path: "/", implicit: true });
  });

  it("reads a release as vN or N, and refuses anything else", () => {
    expect([releaseNumber("v3"), releaseNumber("V12"), releaseNumber("7"), releaseNumber(2)]).toEqual([3, 12, 7, 2]);
    for (const bad of ["v0", "3a", "latest", "-1", ""]) expect(() => releaseNumber(bad), bad).toThrow(/not a release/);
  });
});
