import { describe, expect, it } from "vitest";
import { RingBuffer } from "./ring.js";

describe("RingBuffer", () => {
  it("keeps everything below its capacity, in order", () => {
    const r = new RingBuffer(16);
    r.push(Buffer.from("hello "));
    r.push(Buffer.from("world"));
    expect(r.contents().toString()).toBe("hello world");
    expect(r.length).toBe(11);
  });

  it("drops and cuts the oldest bytes once over capacity", () => {
    const r = new RingBuffer(8);
    r.push(Buffer.from("abcd"));
    r.push(Buffer.from("efgh"));
    r.push(Buffer.from("ijk"));
    expect(r.contents().toString()).toBe("defghijk");
    expect(r.length).toBe(8);
    r.push(Buffer.from("lmnopqrstuvwxyz"));
    expect(r.contents().toString()).toBe("stuvwxyz");
  });

  it("stays bounded under many small writes", () => {
    const r = new RingBuffer(1000);
    for (let i = 0; i < 10_000; i++) r.push(Buffer.from(`${i % 10}`));
    expect(r.length).toBe(1000);
    expect(r.contents().toString().endsWith("56789")).toBe(true);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});
