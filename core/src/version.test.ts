import fs from "node:fs";
import { expect, it } from "vitest";
import { BERTH_VERSION } from "./version.js";

it("is the version every package.json carries", () => {
  for (const p of ["../../package.json", "../package.json", "../../cli/package.json", "../../web/package.json"]) {
    const pkg = JSON.parse(fs.readFileSync(new URL(p, import.meta.url), "utf8")) as { version: string };
    expect(pkg.version, p).toBe(BERTH_VERSION);
  }
});
