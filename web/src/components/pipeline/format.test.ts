import { describe, expect, it } from "vitest";
import { canRollBackTo, imageChanges, releaseDot, shortDigest } from "./format";

describe("pipeline format", () => {
  it("shortens a digest to 12 hex digits", () => {
    expect(shortDigest(`sha256:${"ab".repeat(32)}`)).toBe("abababababab");
  });
  it("maps release states to dots", () => {
    expect(releaseDot("live")).toBe("running");
    expect(releaseDot("deploying")).toBe("building");
    expect(releaseDot("failed")).toBe("failed");
    expect(releaseDot("superseded")).toBe("exited");
  });
  it("offers rollback only to a release that served and is not live", () => {
    const deployedAt = "2026-12-06T10:00:00.000Z";
    expect(canRollBackTo({ number: 2, state: "live", deployedAt }, 2)).toBe(false);
    expect(canRollBackTo({ number: 1, state: "superseded", deployedAt }, 2)).toBe(true);
    expect(canRollBackTo({ number: 3, state: "failed", deployedAt: null }, 2)).toBe(false);
  });
  it("pairs services of both sides", () => {
    expect(imageChanges({ web: "a", db: "b" }, { web: "c", cache: "d" })).toEqual([
      { service: "cache", from: undefined, to: "d" },
      { service: "db", from: "b", to: undefined },
      { service: "web", from: "a", to: "c" },
    ]);
  });
});
