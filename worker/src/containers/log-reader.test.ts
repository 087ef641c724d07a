import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatNs, readFrames } from "@berth/core";
import { LogFileReader, logFiles, type LogReadOptions } from "./log-reader.js";

let dir: string;
let logPath: string;
const T0 = 1_795_222_923_000_000_000n;
const time = (i: number) => formatNs(T0 + BigInt(i) * 1000n);

/** 30 lines over three files as rotation leaves them: log.jsonl.2 (1–10), .1 (11–20), log.jsonl (21–30); odd lines on stderr. */
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "log-reader-"));
  logPath = path.join(dir, "log.jsonl");
  const line = (i: number) => `${JSON.stringify({ log: `line ${i}\n`, stream: i % 2 ? "stderr" : "stdout", time: time(i) })}\n`;
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => line(a + k)).join("");
  fs.writeFileSync(`${logPath}.2`, range(1, 10));
  fs.writeFileSync(`${logPath}.1`, range(11, 20));
  // The live file ends with a line still being written: not part of the snapshot.
  fs.writeFileSync(logPath, range(21, 30) + '{"log":"torn');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function readAll(opts: LogReadOptions = {}) {
  const r = await LogFileReader.open(logPath, opts);
  const got: { stream: string; text: string }[] = [];
  try {
    for (;;) {
      const { data, done } = await r.next();
      readFrames(data, (stream, p) => {
        for (const l of Buffer.from(p).toString("utf8").split("\n").slice(0, -1)) got.push({ stream, text: l });
      });
      if (done) break;
    }
  } finally {
    await r.close();
  }
  return { got, lastTime: r.lastTime };
}

describe("LogFileReader", () => {
  it("lists rotated files oldest first", async () => {
    expect(await logFiles(logPath)).toEqual([`${logPath}.2`, `${logPath}.1`, logPath]);
  });

  it("reads every kept line in order, each on its stream, up to the last complete line", async () => {
    const { got, lastTime } = await readAll();
    expect(got.map((g) => g.text)).toEqual(Array.from({ length: 30 }, (_, i) => `line ${i + 1}`));
    expect(got.every((g) => g.stream === (Number(g.text.split(" ")[1]) % 2 ? "stderr" : "stdout"))).toBe(true);
    expect(lastTime).toBe(time(30));
  });

  it("tails across file boundaries", async () => {
    for (const n of [0, 1, 10, 11, 25, 30, 100]) {
      const { got } = await readAll({ tail: n });
      const want = Math.min(n, 30);
      expect(got.map((g) => g.text)).toEqual(Array.from({ length: want }, (_, i) => `line ${30 - want + i + 1}`));
    }
  });

  it("filters by --since/--until (inclusive) and prefixes -t times", async () => {
    const { got } = await readAll({ since: time(9), until: time(12), timestamps: true });
    expect(got.map((g) => g.text)).toEqual([9, 10, 11, 12].map((i) => `${time(i)} line ${i}`));
  });

  it("says NotFound when the container's directory is gone", async () => {
    await expect(LogFileReader.open(path.join(dir, "gone", "log.jsonl"), {})).rejects.toMatchObject({ kind: "NotFound" });
  });
});
