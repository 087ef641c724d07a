import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { expect, it } from "vitest";
import { ContentStore } from "./store.js";

it("an ingest destroyed while writes are in flight fails the pipeline, not the process", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-ingest-"));
  const store = new ContentStore(dir);
  await store.init();
  for (let n = 0; n < 20; n++) {
    const ing = await store.ingest();
    async function* source() {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(64 * 1024, i);
      throw new Error("connection dropped");
    }
    await expect(pipeline(Readable.from(source()), ing.stream)).rejects.toThrow(/connection dropped/);
    await ing.abort();
  }
  await new Promise((r) => setTimeout(r, 50));
  expect(fs.readdirSync(store.ingestDir)).toEqual([]);
  fs.rmSync(dir, { recursive: true, force: true });
});
