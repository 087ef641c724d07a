import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { contextFiles } from "./build-context.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-ctx-"));
  for (const f of ["Dockerfile", "app.js", "debug.bak", "keep.bak", "node_modules/x/index.js", "src/a.ts", "src/gen/b.ts"]) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), f);
  }
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it("leaves out what .dockerignore excludes, keeps ! exceptions, the Dockerfile and .dockerignore", () => {
  fs.writeFileSync(path.join(dir, ".dockerignore"), "# deps\nnode_modules\n*.bak\n!keep.bak\nsrc/gen\nDockerfile\n");
  expect(contextFiles(dir, ["Dockerfile"])).toEqual([".dockerignore", "Dockerfile", "app.js", "keep.bak", "src", "src/a.ts"]);
});

it("sends everything without a .dockerignore", () => {
  expect(contextFiles(dir)).toContain("node_modules/x/index.js");
});
