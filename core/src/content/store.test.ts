import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { sha256 } from "../digest.js";
import { isInvalidArgument, isNotFound } from "../errors.js";
import { ContentStore } from "./store.js";

let dir: string;
let store: ContentStore;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-content-"));
  store = new ContentStore(dir);
  await store.init();
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

it("stores a blob under its sha256 and reads it back", async () => {
  const { digest, size } = await store.write("hello");
  expect(digest).toBe(sha256("hello"));
  expect(size).toBe(5);
  expect((await store.read(digest)).toString()).toBe("hello");
  expect(await store.has(digest)).toBe(true);
  expect(await store.size(digest)).toBe(5);
});

it("refuses a blob whose bytes do not match the expected digest, and keeps nothing of it", async () => {
  const err = await store.write("tampered", sha256("original")).catch((e: unknown) => e);
  expect(isInvalidArgument(err)).toBe(true);
  expect(await store.has(sha256("tampered"))).toBe(false);
  expect(await fs.readdir(store.ingestDir)).toEqual([]);
});

it("lets concurrent writers of the same blob all succeed", async () => {
  const data = "x".repeat(1 << 20);
  const results = await Promise.all(Array.from({ length: 8 }, () => store.write(data)));
  expect(new Set(results.map((r) => r.digest)).size).toBe(1);
  expect((await store.read(results[0]!.digest)).length).toBe(1 << 20);
});

it("never shows a partial write under the blob's name and cleans leftovers at start-up", async () => {
  const ing = await store.ingest();
  ing.stream.write("half a layer");
  expect(await fs.readdir(store.blobs)).toEqual([]);
  // A crash here leaves only the ingest file, which start-up removes.
  expect(await store.gcIngest()).toBe(1);
  expect(await fs.readdir(store.ingestDir)).toEqual([]);
});

it("reports a missing blob as NotFound and an invalid digest as InvalidArgument", async () => {
  expect(isNotFound(await store.read(sha256("nope")).catch((e: unknown) => e))).toBe(true);
  expect(() => store.blobPath("md5:abc")).toThrow(/invalid digest/);
});
