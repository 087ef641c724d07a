import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, edgeLogsDir, environmentRouteName } from "@berth/core";
import { readRequestLog, RequestLog, requestLogFile, type RequestLogEntry } from "./request-log.js";

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});
const home = () => {
  const h = fs.mkdtempSync(path.join(os.tmpdir(), "edge-reqlog-"));
  homes.push(h);
  return h;
};
const entry = (n: number): RequestLogEntry => ({ at: new Date(1_700_000_000_000 + n * 1000).toISOString(), method: "GET", host: "app.example.com", path: `/r/${String(n).padStart(3, "0")}`, status: 200, bytes: 5, ms: 1, http: "1.1", tls: false, ip: "127.0.0.1" });
const route = environmentRouteName("acme", "shop", "production");

describe("request logs per named route", () => {
  it("writes JSON lines per route and reads them back oldest first, the newest `limit`", async () => {
    const h = home();
    const log = new RequestLog(edgeLogsDir(h), createLogger("test", "silent"));
    for (let i = 0; i < 5; i++) log.write(route, entry(i));
    log.write(environmentRouteName("acme", "shop", "staging"), entry(99));
    await log.close();
    expect((await readRequestLog(h, route)).map((e) => e.path)).toEqual(["/r/000", "/r/001", "/r/002", "/r/003", "/r/004"]);
    expect((await readRequestLog(h, route, { limit: 2 })).map((e) => e.path)).toEqual(["/r/003", "/r/004"]);
    expect((await readRequestLog(h, environmentRouteName("acme", "shop", "staging"))).map((e) => e.path)).toEqual(["/r/099"]);
    expect(await readRequestLog(h, environmentRouteName("acme", "shop", "none"))).toEqual([]);
    expect((await readRequestLog(h, route, { since: new Date(1_700_000_003_000) })).map((e) => e.path)).toEqual(["/r/003", "/r/004"]);
    await expect(readRequestLog(h, route, { limit: 0 })).rejects.toThrow(/limit must be/);
  });

  it("rotates a file past its cap, keeps `keep` old files, and reads across them", async () => {
    const h = home();
    const line = JSON.stringify(entry(0)).length + 1;
    // About 10 lines per file, 2 rotated files kept: 50 writes leave the newest ~30.
    const log = new RequestLog(edgeLogsDir(h), createLogger("test", "silent"), { maxBytes: line * 10, keep: 2 });
    for (let i = 0; i < 50; i++) {
      log.write(route, entry(i));
      await log.flush();
    }
    await log.close();
    const file = requestLogFile(edgeLogsDir(h), route);
    for (const f of [file, `${file}.1`, `${file}.2`]) expect(fs.statSync(f).size).toBeLessThanOrEqual(line * 10);
    expect(fs.existsSync(`${file}.3`)).toBe(false);
    const all = await readRequestLog(h, route, { limit: 1000, keep: 2 });
    expect(all.length).toBe(30);
    expect(all.at(-1)!.path).toBe("/r/049");
    expect(all.map((e) => Number(e.path.split("/")[2]))).toEqual(Array.from({ length: 30 }, (_, i) => 20 + i));
  });

  it("skips a line torn by a crash", async () => {
    const h = home();
    const file = requestLogFile(edgeLogsDir(h), route);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(entry(1))}\n{"at":"2026-`);
    expect((await readRequestLog(h, route)).map((e) => e.path)).toEqual(["/r/001"]);
  });
});
