import { describe, expect, it } from "vitest";
import { liveSessions } from "./stack-freeze.js";

const A = "a".repeat(64);
const B = "b".repeat(64);

describe("liveSessions", () => {
  it("counts a container while any of its links holds a lease that has not lapsed, and lists the lapsed ones", () => {
    const now = 1_000_000;
    const got = liveSessions({ [`${A}/s1`]: String(now + 1), [`${A}/s2`]: String(now - 1), [`${B}/s3`]: String(now) }, now);
    expect([...got.containers]).toEqual([A]);
    expect(got.lapsed.sort()).toEqual([`${A}/s2`, `${B}/s3`]);
  });

  it("no leases: no container is held", () => {
    expect(liveSessions({}, 5)).toEqual({ containers: new Set(), lapsed: [] });
  });
});
