import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isInvalidArgument, isPermissionDenied } from "../errors.js";
import { parseBerthYaml } from "./berth-yaml.js";
import { loadCompose } from "./load.js";

const error = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error");
};

describe("berth.yaml", () => {
  it("reads every key", () => {
    const c = parseBerthYaml("compose: deploy/compose.yaml\nweb:\n  service: app\n  port: 3000\n  health: {path: /healthz, status: 204}\nttl: 72h\nrelease: ./migrate\n");
    expect(c).toEqual({ compose: "deploy/compose.yaml", web: { service: "app", port: 3000, health: { path: "/healthz", status: 204 } }, ttl: "72h", ttlMs: 72 * 3600_000, release: "./migrate" });
    expect(parseBerthYaml("")).toEqual({});
  });

  it("names an unknown key and the keys allowed where it is", () => {
    const top = error(() => parseBerthYaml("compse: x.yaml\n"));
    expect(isInvalidArgument(top)).toBe(true);
    expect(top.message).toBe('berth.yaml: unknown key "compse" at the top level: the keys allowed there are compose, dockerfile, web, ttl, release, data');
    expect(error(() => parseBerthYaml("web:\n  health:\n    path: /\n    code: 200\n")).message).toBe('berth.yaml: unknown key "web.health.code" under web.health: the keys allowed there are path, status');
  });

  it("refuses a wrong type, a bad duration and a health path without a slash", () => {
    expect(error(() => parseBerthYaml("web:\n  port: http\n")).message).toMatch(/^berth\.yaml: web\.port: /);
    expect(error(() => parseBerthYaml("ttl: 3 days\n")).message).toMatch(/ttl.*not a duration/);
    expect(error(() => parseBerthYaml("web:\n  health: {path: healthz}\n")).message).toMatch(/health\.path starts with \//);
    expect(error(() => parseBerthYaml("- a\n")).message).toMatch(/expected a mapping/);
  });
});

describe("loadCompose with a root (an untrusted checkout)", () => {
  it("refuses an env_file or a .env link outside the root", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "confine-"));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "confine-out-"));
    fs.writeFileSync(path.join(outside, "secret.env"), "TOKEN=host-secret\n");
    fs.writeFileSync(path.join(dir, "compose.yaml"), `services:\n  a:\n    image: busybox\n    env_file: ${path.join(outside, "secret.env")}\n`);
    const load = () => loadCompose({ cwd: dir, env: {}, root: dir });
    expect(isPermissionDenied(error(load))).toBe(true);
    expect(error(load).message).toMatch(/outside the repository/);
    // Without a root (a user's own machine) the same file loads.
    expect(loadCompose({ cwd: dir, env: {} }).services.a!.environment.TOKEN).toBe("host-secret");
    fs.writeFileSync(path.join(dir, "compose.yaml"), "services:\n  a:\n    image: busybox\n");
    fs.symlinkSync(path.join(outside, "secret.env"), path.join(dir, ".env"));
    expect(error(load).message).toMatch(/env file .* is outside the repository/);
  });
});
