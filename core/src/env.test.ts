import { describe, expect, it } from "vitest";
import { overrideEnv } from "./env.js";

describe("overrideEnv", () => {
  it("replaces same-named entries where they stand and appends new ones (values may hold '=')", () => {
    expect(overrideEnv(["PATH=/bin", "HOME=/root", "A=1"], ["A=2", "B=x=y"])).toEqual(["PATH=/bin", "HOME=/root", "A=2", "B=x=y"]);
  });
  it("is the base without extra entries, and leaves the base untouched", () => {
    const base = ["PATH=/bin"];
    expect(overrideEnv(base)).toEqual(["PATH=/bin"]);
    overrideEnv(base, ["PATH=/usr/bin"]);
    expect(base).toEqual(["PATH=/bin"]);
  });
});
