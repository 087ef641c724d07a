import { describe, expect, it } from "vitest";
import { inviteToken, parseTtl } from "./team.js";

describe("team invite/join arguments", () => {
  it("reads --ttl in s, m, h and d (a bare number is seconds)", () => {
    expect(parseTtl("24h")).toBe(86_400);
    expect(parseTtl("30m")).toBe(1_800);
    expect(parseTtl("7d")).toBe(604_800);
    expect(parseTtl("90")).toBe(90);
    expect(() => parseTtl("soon")).toThrow(/invalid --ttl "soon"/);
    expect(() => parseTtl("1.5h")).toThrow(/invalid --ttl/);
  });

  it("takes the token alone or inside the link", () => {
    expect(inviteToken("bti_abc-_9")).toBe("bti_abc-_9");
    expect(inviteToken("https://berth.example:8080/invite/bti_abc-_9")).toBe("bti_abc-_9");
    expect(inviteToken("  bti_x \n")).toBe("bti_x");
  });
});
