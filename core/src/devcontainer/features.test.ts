import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isInvalidArgument } from "../errors.js";
import { featureEnvFile, featureUses, optionVariable } from "./features.js";
import { lifecycleSteps } from "./lifecycle.js";
import { resolveRemoteEnv } from "./variables.js";

describe("features", () => {
  it("names option variables as the spec does", () => {
    expect(optionVariable("version")).toBe("VERSION");
    expect(optionVariable("install-tools")).toBe("INSTALL_TOOLS");
    expect(optionVariable("2fa.mode")).toBe("_FA_MODE");
  });

  it("writes given options over defaults, shell-quoted, with the users", () => {
    const env = featureEnvFile({ id: "x", options: { a: { default: "1" }, b: { default: true } }, containerEnv: {}, lifecycle: {}, installsAfter: [], dependsOn: {}, container: { capAdd: [], securityOpt: [], mounts: [] } }, { a: "it's" }, { remoteUser: "dev", containerUser: "root" });
    expect(env).toBe(`A='it'\\''s'\nB='true'\n_REMOTE_USER='dev'\n_CONTAINER_USER='root'\n`);
  });

  it("tells local folders from OCI references, a version string being the version option, and refuses what Berth cannot fetch", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-feat-"));
    fs.mkdirSync(path.join(dir, "mine"));
    fs.writeFileSync(path.join(dir, "mine/install.sh"), "#!/bin/sh\n");
    const uses = featureUses({ "./mine": { on: true }, "ghcr.io/a/b/c:1": "2.0", "localhost:5000/f/g": {} }, dir, "f.json");
    expect(uses).toEqual([
      { id: "./mine", source: { kind: "local", dir: path.join(dir, "mine") }, options: { on: true } },
      { id: "ghcr.io/a/b/c:1", source: { kind: "oci", ref: "ghcr.io/a/b/c:1" }, options: { version: "2.0" } },
      { id: "localhost:5000/f/g", source: { kind: "oci", ref: "localhost:5000/f/g:latest" }, options: {} },
    ]);
    for (const bad of [{ "https://x.io/f.tgz": {} }, { "devcontainers/features/node": {} }, { "./missing": {} }]) {
      let err: unknown;
      try {
        featureUses(bad, dir, "f.json");
      } catch (e) {
        err = e;
      }
      expect(isInvalidArgument(err), JSON.stringify(bad)).toBe(true);
    }
    fs.rmSync(dir, { recursive: true });
  });
});

describe("lifecycle commands and remoteEnv", () => {
  it("a string runs through the shell, an array is the argv, an object is named parallel commands", () => {
    expect(lifecycleSteps("postCreateCommand", "make && make test", "f")).toEqual([{ name: "postCreateCommand", argv: ["/bin/sh", "-c", "make && make test"] }]);
    expect(lifecycleSteps("postCreateCommand", ["npm", "ci"], "f")).toEqual([{ name: "postCreateCommand", argv: ["npm", "ci"] }]);
    expect(lifecycleSteps("postStartCommand", { web: "a", db: ["b", "c"] }, "f")).toEqual([
      { name: "postStartCommand web", argv: ["/bin/sh", "-c", "a"] },
      { name: "postStartCommand db", argv: ["b", "c"] },
    ]);
    expect(lifecycleSteps("postStartCommand", "", "f")).toEqual([]);
    expect(() => lifecycleSteps("postStartCommand", 3, "f")).toThrow(/postStartCommand is a string/);
  });

  it("${containerEnv:NAME[:default]} comes from the container's environment", () => {
    expect(resolveRemoteEnv({ P: "${containerEnv:PATH}:/x", Q: "${containerEnv:NONE:dflt}", R: "${containerEnv:NONE}" }, ["PATH=/bin", "A=b=c"])).toEqual({ P: "/bin:/x", Q: "dflt", R: "" });
  });
});
