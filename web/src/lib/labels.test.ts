import { describe, expect, it } from "vitest";
import { parseLabels } from "./labels";
import { bytesAsUnit, parseBytes } from "./bytes";

describe("parseLabels", () => {
  it("reads KEY=VALUE pairs split by commas or lines, a bare key as an empty value", () => {
    expect(parseLabels(" env=dev, owner = alice\nflag ,")).toEqual({ labels: { env: "dev", owner: "alice", flag: "" } });
    expect(parseLabels("")).toEqual({ labels: {} });
    expect(parseLabels("a=b=c")).toEqual({ labels: { a: "b=c" } });
  });
  it("refuses a value with no key, saying which part", () => {
    expect(parseLabels("ok=1, =oops")).toEqual({ error: '"=oops": a label needs a key before "="' });
  });
});

describe("parseBytes and bytesAsUnit", () => {
  it("reads Docker's units as powers of 1024 and writes them back", () => {
    expect(parseBytes("512m")).toBe(512 * 1024 ** 2);
    expect(parseBytes("2G")).toBe(2 * 1024 ** 3);
    expect(parseBytes("1.5g")).toBe(1.5 * 1024 ** 3);
    expect(parseBytes("4096")).toBe(4096);
    expect(parseBytes("lots")).toBeNaN();
    expect(bytesAsUnit(2 * 1024 ** 3)).toBe("2g");
    expect(bytesAsUnit(512 * 1024 ** 2)).toBe("512m");
    expect(bytesAsUnit(1000)).toBe("1000");
  });
});
