import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ThreadHash } from "./hash-thread.js";
import { ContentStore } from "./store.js";

let dir: string;
let store: ContentStore;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-hash-thread-"));
  store = new ContentStore(dir);
  await store.init();
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

const sha = (bufs: Buffer[]) => {
  const h = createHash("sha256");
  for (const b of bufs) h.update(b);
  return `sha256:${h.digest("hex")}`;
};

it("an off-thread ingest of a big stream (more than the in-flight window) names the blob by its sha256", async () => {
  const chunks = Array.from({ length: 48 }, () => randomBytes(1 << 20));
  const ing = await store.ingest(undefined, { offThreadHash: true });
  await pipeline(Readable.from(chunks), ing.stream);
  const { digest, size } = await ing.commit();
  expect(digest).toBe(sha(chunks));
  expect(size).toBe(48 << 20);
  expect(createHash("sha256").update(await store.read(digest)).digest("hex")).toBe(digest.slice(7));
});

it("several streams at once each get their own digest; a wrong expected digest is refused and nothing kept", async () => {
  const data = [randomBytes(3000), randomBytes(5 << 20), Buffer.alloc(0)];
  const results = await Promise.all(
    data.map(async (d) => {
      const ing = await store.ingest(undefined, { offThreadHash: true });
      await pipeline(Readable.from([d]), ing.stream);
      return (await ing.commit()).digest;
    }),
  );
  expect(results).toEqual(data.map((d) => sha([d])));
  const wrong = await store.ingest(`sha256:${"0".repeat(64)}`, { offThreadHash: true });
  await pipeline(Readable.from([Buffer.from("x")]), wrong.stream);
  await expect(wrong.commit()).rejects.toThrow(/digest mismatch/);
  expect(await fs.readdir(store.ingestDir)).toEqual([]);
});

it("a dropped stream is forgotten and the thread keeps serving others", async () => {
  const dropped = new ThreadHash();
  await dropped.update(Buffer.from("abandoned"));
  dropped.drop();
  const h = new ThreadHash();
  await h.update(Buffer.from("hello"));
  expect(await h.digest()).toBe(createHash("sha256").update("hello").digest("hex"));
});

it("bytes given in odd sizes across batch boundaries (and one bigger than a batch) hash as one stream, sha256 and sha512", async () => {
  const data = randomBytes((3 << 20) + 4097);
  const cuts = [0, 1, 65535, 65536 * 3 + 7, (1 << 20) - 1, (1 << 20) + 1, (2 << 20) + 13, data.length];
  for (const algorithm of ["sha256", "sha512"] as const) {
    const h = new ThreadHash(algorithm);
    for (let i = 1; i < cuts.length; i++) await h.update(data.subarray(cuts[i - 1], cuts[i]));
    await h.update(data.subarray(0, 0));
    expect(await h.digest()).toBe(createHash(algorithm).update(data).digest("hex"));
  }
  const big = new ThreadHash();
  await big.update(data);
  expect(await big.digest()).toBe(createHash("sha256").update(data).digest("hex"));
});

it("streams that together keep more batches in flight than the shared slots all get their own digest", async () => {
  // 4 streams x up to 32 MiB in flight each: the shared slots (32 MiB) run out and batches go as buffers of their own.
  const streams = Array.from({ length: 4 }, (_, i) => Array.from({ length: 20 }, () => randomBytes((1 << 20) + i * 4099)));
  const digests = await Promise.all(
    streams.map(async (chunks) => {
      const h = new ThreadHash();
      // No awaiting between updates unless asked: as much in flight as the window allows.
      for (const c of chunks) await h.update(c);
      return `sha256:${await h.digest()}`;
    }),
  );
  expect(digests).toEqual(streams.map((chunks) => sha(chunks)));
});
