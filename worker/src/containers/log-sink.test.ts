import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { beforeEach, afterEach, expect, it } from "vitest";
import { decodeLogEntry, logStreamKey } from "@berth/core";
import { LogSink, rotatedNames } from "./log-sink.js";
import { useRedisServer } from "../testing/redis-server.js";

const srv = useRedisServer("log-sink");

// A real full disk: a 256 KiB tmpfs holds the log, a real Redis (on a socket elsewhere) the stream.
let disk: string;

beforeEach(() => {
  disk = fs.mkdtempSync(path.join(os.tmpdir(), "berth-log-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", disk]);
});

afterEach(() => {
  execFileSync("umount", [disk]);
  fs.rmdirSync(disk);
});

/** Descriptors of this process open under the test's disk: exit must have closed every file it opened. */
function openUnderDisk(): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync("/proc/self/fd")) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${disk}/`)) out.push(target);
    } catch {
      /* the fd of readdir itself, closed by now */
    }
  }
  return out;
}

/** Fills the disk to the last byte; returns the filler's path. */
function fill(): string {
  const filler = path.join(disk, "filler");
  const fd = fs.openSync(filler, "w");
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(4096));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

function fileLines(logPath: string): string[] {
  const out: string[] = [];
  for (const l of fs.readFileSync(logPath, "utf8").split("\n")) {
    try {
      out.push((JSON.parse(l) as { log: string }).log.trimEnd());
    } catch {
      /* a torn line, as a reader skips it */
    }
  }
  return out;
}

/** The count a drop marker states, and the "lost N" lines the file kept. */
function accounting(lines: string[]): { marked: number; kept: number } {
  let marked = 0;
  for (const l of lines) {
    const m = /^\[berth\] (\d+) log lines? dropped: no space left on BERTH_HOME$/.exec(l);
    if (m) marked += Number(m[1]);
  }
  return { marked, kept: lines.filter((l) => l.startsWith("lost ")).length };
}

it("counts the lines a full disk refused and writes a marker once writing works again", async () => {
  const logPath = path.join(disk, "log.jsonl");
  const id = `sink-${Date.now()}-a`;
  const sink = new LogSink(srv.redis, id, logPath);
  sink.line("stdout", "before");
  while (!fileLines(logPath).includes("before")) await new Promise((r) => setTimeout(r, 10));
  const filler = fill();
  for (let i = 0; i < 200; i++) sink.line("stdout", `lost ${i} ${"x".repeat(100)}`);
  // The disk stays full until the sink has met it (a fixed pause was too short on a loaded host: it wrote everything after the filler went).
  while (sink.droppedLines === 0) await new Promise((r) => setTimeout(r, 10));
  fs.rmSync(filler);
  // Past the retry pause, the next line reopens the file.
  await new Promise((r) => setTimeout(r, 1_200));
  sink.line("stdout", "after");
  await sink.exit(0);

  expect(openUnderDisk()).toEqual([]);
  const lines = fileLines(logPath);
  const { marked, kept } = accounting(lines);
  expect(marked).toBeGreaterThan(0);
  expect(marked + kept).toBe(200); // every line is either in the file or counted
  expect(lines[0]).toBe("before");
  expect(lines.at(-1)).toBe("after");
  expect(lines.findIndex((l) => l.startsWith("[berth]"))).toBeLessThan(lines.indexOf("after"));
  // The stream has every line: its start, before, the 200, after, its exit.
  expect(await srv.redis.xlen(logStreamKey(id))).toBe(204);
}, 20_000);

it("says what was dropped at exit when no later line came", async () => {
  const logPath = path.join(disk, "log.jsonl");
  const sink = new LogSink(srv.redis, `sink-${Date.now()}-b`, logPath);
  const filler = fill();
  for (let i = 0; i < 200; i++) sink.line("stderr", `lost ${i} ${"y".repeat(100)}`);
  while (sink.droppedLines === 0) await new Promise((r) => setTimeout(r, 10));
  fs.rmSync(filler);
  await sink.exit(1);
  expect(openUnderDisk()).toEqual([]);

  const { marked, kept } = accounting(fileLines(logPath));
  expect(marked).toBeGreaterThan(0);
  expect(marked + kept).toBe(200);
}, 20_000);

it("writes a chunk of many lines as batches: rotation cuts them at max-size, every line kept once, file and stream agree", async () => {
  const logPath = path.join(disk, "log.jsonl");
  const id = `sink-${Date.now()}-c`;
  const maxSize = 16 * 1024;
  const sink = new LogSink(srv.redis, id, logPath, { driver: "json-file", maxSize, maxFile: 20 });
  const out = new PassThrough();
  const err = new PassThrough();
  const done = Promise.all([sink.follow("stdout", out), sink.follow("stderr", err)]);
  // One chunk of 1500 lines, then a stderr chunk, then a line split across two chunks.
  out.write(Array.from({ length: 1500 }, (_, i) => `line ${i}\n`).join(""));
  await new Promise((r) => setImmediate(r));
  err.write("oops 1\noops 2\n");
  await new Promise((r) => setImmediate(r));
  out.write("line 15");
  out.end("00\n");
  err.end();
  await done;
  await sink.exit(0);

  const names = rotatedNames(logPath, 20).filter((n) => fs.existsSync(n));
  expect(names.length).toBeGreaterThan(5);
  for (const n of names) expect(fs.statSync(n).size).toBeLessThanOrEqual(maxSize);
  const records = names.flatMap((n) =>
    fs
      .readFileSync(n, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { log: string; stream: string; time: string }),
  );
  const want = [...Array.from({ length: 1500 }, (_, i) => `line ${i}`), "oops 1", "oops 2", "line 1500"];
  expect(records.map((r) => r.log.trimEnd())).toEqual(want);
  expect(records.slice(1500, 1502).every((r) => r.stream === "stderr")).toBe(true);
  // Times strictly increase, and the stream has each line with the file's time.
  expect(records.every((r, i) => i === 0 || r.time > records[i - 1]!.time)).toBe(true);
  const entries = (await srv.redis.xrange(logStreamKey(id), "-", "+")).map(([, f]) => decodeLogEntry(f));
  const lines = entries.filter((e) => e.stream === "stdout" || e.stream === "stderr");
  expect(lines.map((e) => ("line" in e ? e.line : ""))).toEqual(want);
  expect(lines.map((e) => e.time)).toEqual(records.map((r) => r.time));
}, 20_000);
