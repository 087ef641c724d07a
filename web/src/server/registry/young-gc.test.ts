import { PerformanceObserver, constants } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { YOUNG_GC_EVERY, bodyReceived } from "./young-gc.js";

/** The collections Berth asked for (forced) while `fn` ran, by kind. */
async function forcedWhile(fn: () => void): Promise<{ minor: number; major: number }> {
  const seen = { minor: 0, major: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const d = (e as unknown as { detail: { kind: number; flags: number } }).detail;
      if (!(d.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED)) continue;
      if (d.kind === constants.NODE_PERFORMANCE_GC_MINOR) seen.minor++;
      else seen.major++;
    }
  });
  obs.observe({ entryTypes: ["gc"] });
  fn();
  await new Promise((r) => setTimeout(r, 50)); // the observer's entries come after
  obs.disconnect();
  return seen;
}

describe("young-generation collections for upload bodies", () => {
  it("runs one scavenge (and never a full collection) per YOUNG_GC_EVERY bytes of body", async () => {
    // Whatever an earlier call left counted is spent first.
    await forcedWhile(() => bodyReceived(YOUNG_GC_EVERY));
    expect(await forcedWhile(() => bodyReceived(YOUNG_GC_EVERY - 1))).toEqual({ minor: 0, major: 0 });
    expect(await forcedWhile(() => bodyReceived(1))).toEqual({ minor: 1, major: 0 });
    expect(await forcedWhile(() => {
      for (let i = 0; i < 3 * 128; i++) bodyReceived(YOUNG_GC_EVERY / 128); // 64 KiB chunks, as a socket gives them
    })).toEqual({ minor: 3, major: 0 });
  });
});
