import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { trimProxyLog } from "./proxy-log.js";

it("moves a log past its limit to .1 and keeps appending to the same file, a writer's open descriptor included", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "proxy-log-"));
  const file = path.join(dir, "port-proxy.log");
  // As a running proxy holds it: open in append mode.
  const fd = fs.openSync(file, "a");
  fs.writeSync(fd, "x".repeat(1000) + "\n");
  expect(await trimProxyLog(file, 2000)).toBe(false);
  fs.writeSync(fd, "y".repeat(1500) + "\n");
  expect(await trimProxyLog(file, 2000)).toBe(true);
  expect(fs.readFileSync(`${file}.1`, "utf8")).toBe("x".repeat(1000) + "\n" + "y".repeat(1500) + "\n");
  expect(fs.statSync(file).size).toBe(0);
  // The proxy's next line lands at the start of the emptied file, not past a hole.
  fs.writeSync(fd, "z\n");
  expect(fs.readFileSync(file, "utf8")).toBe("z\n");
  fs.closeSync(fd);
  expect(await trimProxyLog(path.join(dir, "missing.log"), 10)).toBe(false);
  fs.rmSync(dir, { recursive: true });
});
