import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AsciicastRecorder } from "./asciicast.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("AsciicastRecorder", () => {
  it("writes an asciicast v2 header, output and resize events, and its info beside it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-cast-"));
    dirs.push(dir);
    const info = { id: "0123456789abcdef-1", sessionId: "0123456789abcdef", teamId: "t", containerId: "c", containerName: "web", startedBy: "alice" };
    const r = await AsciicastRecorder.create(dir, info, 80, 24, "web");
    r.output(Buffer.from("$ echo hi\r\nhi\r\n"));
    // "é" split across two chunks comes out whole.
    const e = Buffer.from("é");
    r.output(e.subarray(0, 1));
    r.output(e.subarray(1));
    r.resize(100, 30);
    await r.close();
    const lines = fs.readFileSync(path.join(dir, `${info.id}.cast`), "utf8").trim().split("\n").map((l) => JSON.parse(l) as unknown);
    expect(lines[0]).toMatchObject({ version: 2, width: 80, height: 24 });
    expect(lines[1]).toEqual([expect.any(Number), "o", "$ echo hi\r\nhi\r\n"]);
    expect(lines[2]).toEqual([expect.any(Number), "o", "é"]);
    expect(lines[3]).toEqual([expect.any(Number), "r", "100x30"]);
    const times = lines.slice(1).map((l) => (l as [number])[0]);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, `${info.id}.json`), "utf8")) as { endedAt?: string; bytes: number; startedBy: string };
    expect(saved.startedBy).toBe("alice");
    expect(saved.endedAt).toBeTruthy();
    expect(saved.bytes).toBe(fs.statSync(path.join(dir, `${info.id}.cast`)).size);
  });
});
