import { describe, expect, it } from "vitest";
import { mergeEnv } from "./terminal.js";

describe("mergeEnv", () => {
  it("keeps the container's env and lets exec -e override by name", () => {
    expect(mergeEnv(["PATH=/bin", "HOME=/root", "A=1"], ["A=2", "B=x=y"])).toEqual(["PATH=/bin", "HOME=/root", "A=2", "B=x=y"]);
  });
  it("is the container's env without -e", () => {
    expect(mergeEnv(["PATH=/bin"])).toEqual(["PATH=/bin"]);
  });
});
