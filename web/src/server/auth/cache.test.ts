import { describe, expect, it } from "vitest";
import { AuthCache } from "./cache.js";

describe("AuthCache", () => {
  it("answers from memory until invalidated, then loads again", async () => {
    const c = new AuthCache(60_000);
    let loads = 0;
    const load = () => Promise.resolve({ n: ++loads });
    expect(await c.get("k", load)).toEqual({ n: 1 });
    expect(await c.get("k", load)).toEqual({ n: 1 });
    c.invalidate();
    expect(await c.get("k", load)).toEqual({ n: 2 });
  });

  it("does not keep an answer whose load was under way when a write came", async () => {
    const c = new AuthCache(60_000);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stale = c.get("k", async () => {
      await gate;
      return "before the write";
    });
    c.invalidate();
    release();
    expect(await stale).toBe("before the write");
    expect(await c.get("k", () => Promise.resolve("after the write"))).toBe("after the write");
  });

  it("keeps no refusal, and nothing past its time", async () => {
    const c = new AuthCache(0);
    expect(await c.get("k", () => Promise.resolve(null))).toBeNull();
    expect(c.size).toBe(0);
    expect(await c.get("k", () => Promise.resolve("a"))).toBe("a");
    expect(await c.get("k", () => Promise.resolve("b"))).toBe("b");
  });
});
