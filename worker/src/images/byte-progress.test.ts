import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { byteProgress, humanBytes } from "./byte-progress.js";

it("prints sizes in Docker's decimal units", () => {
  expect([0, 999, 1000, 1_234_567, 52_400_000, 1_070_000_000].map(humanBytes)).toEqual(["0B", "999B", "1.00kB", "1.23MB", "52.4MB", "1.07GB"]);
});

it("passes bytes through unchanged and reports the running count", async () => {
  const seen: number[] = [];
  const got: Buffer[] = [];
  const chunks = [Buffer.from("abc"), Buffer.from("defg"), Buffer.from("h")];
  await pipeline(
    Readable.from(chunks),
    byteProgress((n) => seen.push(n), 0),
    new Writable({
      write(c: Buffer, _e, cb) {
        got.push(c);
        cb();
      },
    }),
  );
  expect(Buffer.concat(got).toString()).toBe("abcdefgh");
  expect(seen).toEqual([3, 7, 8]);
});
