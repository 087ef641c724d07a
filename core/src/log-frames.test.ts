import { expect, it } from "vitest";
import { FrameWriter, readFrames } from "./log-frames.js";

it("frames lines per stream in order, joining runs of one stream, and reads them back", () => {
  const w = new FrameWriter();
  w.push("stdout", "a\n");
  w.push("stdout", "b\n");
  w.push("stderr", "é\n");
  w.push("stdout", "c\n");
  const buf = w.take();
  const frames: [string, string][] = [];
  readFrames(buf, (s, p) => frames.push([s, Buffer.from(p).toString("utf8")]));
  expect(frames).toEqual([
    ["stdout", "a\nb\n"],
    ["stderr", "é\n"],
    ["stdout", "c\n"],
  ]);
  // Docker's header: stream byte, three zeros, big-endian length.
  expect([...buf.subarray(0, 8)]).toEqual([1, 0, 0, 0, 0, 0, 0, 4]);
  expect(w.take().length).toBe(0);
  expect(() => readFrames(buf.subarray(0, 10), () => {})).toThrow("truncated log frame");
});
