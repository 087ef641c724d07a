import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { SignInLimiter } from "./sign-in-limit.js";

const refusal = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(TRPCError);
    expect((e as TRPCError).code).toBe("TOO_MANY_REQUESTS");
    return (e as Error).message;
  }
};

describe("SignInLimiter", () => {
  it("holds a user name back after 5 failures, says how long, and lets it go when the window ends", () => {
    const l = new SignInLimiter();
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) {
      expect(refusal(() => l.check("Alice", "10.0.0.1", t0))).toBeUndefined();
      l.fail("Alice", `10.0.0.${i}`, t0);
    }
    // Case-insensitive, and from any address.
    expect(refusal(() => l.check("alice", "10.0.0.99", t0 + 1000))).toBe("too many failed sign-in attempts: try again in 299 s");
    expect(refusal(() => l.check("bob", "10.0.0.99", t0 + 1000))).toBeUndefined();
    expect(refusal(() => l.check("alice", "10.0.0.99", t0 + 300_000))).toBeUndefined();
  });

  it("holds an address back after 20 failures over any names; a success clears only the name's count", () => {
    const l = new SignInLimiter();
    for (let i = 0; i < 20; i++) l.fail(`user${i}`, "192.0.2.7", 0);
    expect(refusal(() => l.check("someone", "192.0.2.7", 1))).toMatch(/try again in \d+ s/);
    expect(refusal(() => l.check("someone", "192.0.2.8", 1))).toBeUndefined();
    for (let i = 0; i < 4; i++) l.fail("carol", "198.51.100.1", 0);
    l.succeed("carol");
    l.fail("carol", "198.51.100.1", 0);
    expect(refusal(() => l.check("carol", "198.51.100.2", 1))).toBeUndefined();
  });
});
