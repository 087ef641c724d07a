import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { BuildCache, type CacheEntry } from "./cache.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-build-cache-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const entry = (n: number): CacheEntry => ({
  layers: [{ descriptor: { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${String(n).padStart(64, "0")}`, size: n }, diffId: `sha256:${String(n).padStart(64, "1")}`, tarSize: n }],
  config: { architecture: "amd64", os: "linux", config: { Env: [`N=${n}`] }, history: [] },
});

it("answers from memory and from disk alike, each get a copy of its own", async () => {
  const a = new BuildCache(dir, 2);
  await a.put("k1", entry(1));
  const got = (await a.get("k1"))!;
  expect(got).toEqual(entry(1));
  got.config.config.Env!.push("MUTATED=1");
  expect(await a.get("k1")).toEqual(entry(1));
  // Another process (a second worker) reads what this one wrote.
  expect(await new BuildCache(dir).get("k1")).toEqual(entry(1));
  // Past its memory, entries still come from their files.
  await a.put("k2", entry(2));
  await a.put("k3", entry(3));
  expect(await a.get("k1")).toEqual(entry(1));
  expect(await a.get("absent")).toBeUndefined();
});

it("takes a damaged entry file for a miss", async () => {
  fs.writeFileSync(path.join(dir, "bad.json"), "{ not json");
  expect(await new BuildCache(dir).get("bad")).toBeUndefined();
});
