import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { HEAP_GROWING_PERCENT, HEAP_GROWTH_FLAG } from "./heap-growth.js";

/** The growing factor of the old generation's limit after a full collection, in a fresh node that sets `flag` at run time as web does. */
function limitFactorAfterFullGc(flag: string | undefined): number {
  const script = `
    ${flag ? `require("node:v8").setFlagsFromString(${JSON.stringify(flag)});` : ""}
    globalThis.live = Array.from({ length: 300000 }, (_, i) => ({ i, s: "x" + i }));
    gc();`;
  const r = spawnSync(process.execPath, ["--expose-gc", "--trace-gc-verbose", "-e", script], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  // "[HeapController] Limit: old size: 30938 KB, new limit: 77984 KB (2.0)"
  const factors = [...r.stdout.matchAll(/\[HeapController\] Limit: .*\((\d+(?:\.\d+)?)\)/g)].map((m) => Number(m[1]));
  expect(factors.length, r.stdout.slice(-2000)).toBeGreaterThan(0);
  return factors.at(-1)!;
}

describe("web's heap growth", () => {
  it("is a flag this node honours when set at run time: the limit after a full collection is twice the live heap", () => {
    // Without it, V8 picks its own factor (4 for a fresh process, down to 1.1 after idle): the check can tell.
    expect(limitFactorAfterFullGc(undefined)).not.toBe(1 + HEAP_GROWING_PERCENT / 100);
    expect(limitFactorAfterFullGc(HEAP_GROWTH_FLAG)).toBe(1 + HEAP_GROWING_PERCENT / 100);
  });
});
