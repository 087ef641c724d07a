import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { digestOf, sha256 } from "../digest.js";
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
  // The ingest file is opened asynchronously: wait until it is there, as after a crash it would be.
  await expect.poll(async () => (await fs.readdir(store.ingestDir)).length, { timeout: 5000 }).toBe(1);
  expect(await fs.readdir(store.blobs)).toEqual([]);
  // A crash here leaves only the ingest file, which start-up removes.
  expect(await store.gcIngest()).toBe(1);
  expect(await fs.readdir(store.ingestDir)).toEqual([]);
});

it("reports a missing blob as NotFound and an invalid digest as InvalidArgument", async () => {
  expect(isNotFound(await store.read(sha256("nope")).catch((e: unknown) => e))).toBe(true);
  expect(() => store.blobPath("md5:abc")).toThrow(/invalid digest/);
});

it("keeps sha512 blobs in blobs/sha512/, verified with sha512, on and off the JS thread", async () => {
  const data = Buffer.from("a sha512 blob");
  const d512 = digestOf(data, "sha512");
  expect(d512).toMatch(/^sha512:[0-9a-f]{128}$/);
  expect(await store.has(d512)).toBe(false);
  expect(isNotFound(await store.read(d512).catch((e: unknown) => e))).toBe(true);
  expect(await store.write(data, d512)).toEqual({ digest: d512, size: data.length });
  expect(await fs.readdir(path.join(dir, "blobs", "sha512"))).toEqual([d512.slice(7)]);
  expect(await fs.readdir(store.blobs)).toEqual([]);
  expect((await store.read(d512)).equals(data)).toBe(true);
  // A sha256 of the same bytes is another blob.
  expect(await store.has(sha256(data))).toBe(false);

  const big = Buffer.alloc(3 << 20, 7);
  const ing = await store.ingest(digestOf(big, "sha512"), { offThreadHash: true });
  ing.stream.end(big);
  expect((await ing.commit()).digest).toBe(digestOf(big, "sha512"));

  const err = await store.write("tampered", digestOf("original", "sha512")).catch((e: unknown) => e);
  expect(isInvalidArgument(err)).toBe(true);
  expect(await fs.readdir(store.ingestDir)).toEqual([]);
});
