import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness.js";

// docs/policy.md is the list of every entry point and the policy that guards it, made from the
// code. A new procedure, route or socket event must appear there: regenerate it when this fails.
describe("docs/policy.md", () => {
  it("matches what scripts/policy-table.mjs makes from the code now", () => {
    const now = execFileSync(process.execPath, [path.join(ROOT, "scripts/policy-table.mjs")], { cwd: ROOT, encoding: "utf8" });
    expect(fs.readFileSync(path.join(ROOT, "docs/policy.md"), "utf8"), "run: node scripts/policy-table.mjs > docs/policy.md").toBe(now);
  });
});
