import { expect, it } from "vitest";
import { detachFilter } from "./detach-keys.js";

it("passes input through until Ctrl-P Ctrl-Q, also split across reads", () => {
  const f = detachFilter();
  expect(f(Buffer.from("ls\r"))).toEqual(Buffer.from("ls\r"));
  expect(f(Buffer.from([0x61, 0x10]))).toEqual(Buffer.from([0x61]));
  expect(f(Buffer.from([0x11]))).toBe("detach");
  const g = detachFilter();
  expect(g(Buffer.from([0x10]))).toEqual(Buffer.alloc(0));
  expect(g(Buffer.from("x"))).toEqual(Buffer.from([0x10, 0x78]));
  expect(detachFilter()(Buffer.from([0x62, 0x10, 0x11, 0x63]))).toBe("detach");
});
