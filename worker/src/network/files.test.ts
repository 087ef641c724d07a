import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { afterEach, expect, it } from "vitest";
import { hostsFile, writeInPlace } from "./files.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// A reader in another thread, as a container's resolver reads its hosts file: counts the reads
// that did not find "api" (a name every version of the file has) until told to stop.
const READER = `
const fs = require("node:fs");
const { workerData, parentPort } = require("node:worker_threads");
const stop = new Int32Array(workerData.stop);
let reads = 0, missing = 0, sample = "";
while (Atomics.load(stop, 0) === 0) {
  const text = fs.readFileSync(workerData.file, "utf8");
  reads++;
  if (!/^10\\.0\\.0\\.[0-9]+\\tapi$/m.test(text)) { missing++; sample = JSON.stringify(text.slice(0, 200)); }
}
parentPort.postMessage({ reads, missing, sample });
`;

it("rewrites a file in place, longer or shorter, without a moment where a reader finds it empty or cut", async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-hosts-"));
  const file = path.join(dir, "hosts");
  const short = hostsFile([{ ip: "10.0.0.2", names: ["api"] }]);
  const long = hostsFile([{ ip: "10.0.0.3", names: ["api"] }, ...Array.from({ length: 40 }, (_, i) => ({ ip: `10.0.1.${i}`, names: [`env--staging--shop-web-${i}-0123abcd`, "web"] }))]);
  await writeInPlace(file, short);
  const inode = fs.statSync(file).ino;
  const stop = new SharedArrayBuffer(4);
  const reader = new Worker(READER, { eval: true, workerData: { file, stop } });
  const seen = new Promise<{ reads: number; missing: number; sample: string }>((resolve, reject) => {
    reader.once("message", resolve);
    reader.once("error", reject);
  });
  for (let i = 0; i < 3_000; i++) await writeInPlace(file, i % 2 ? short : long);
  Atomics.store(new Int32Array(stop), 0, 1);
  const r = await seen;
  await reader.terminate();
  expect(r.reads).toBeGreaterThan(0);
  expect(r.missing, `${r.missing} of ${r.reads} reads found no api line, e.g. ${r.sample}`).toBe(0);
  // The same file (a bind mount keeps pointing at it), holding exactly the last text.
  expect(fs.statSync(file).ino).toBe(inode);
  expect(fs.readFileSync(file, "utf8")).toBe(short);
});
