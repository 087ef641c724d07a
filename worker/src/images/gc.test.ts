import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { chainIds, digestHex, sha256 } from "@berth/core";
import { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { collectGarbage, diskUsage } from "./gc.js";
import { EPOCH, packDirectory } from "./layer.js";
import { Snapshots } from "./snapshots.js";
import { commitImage, loadImage } from "./store.js";
import { migratedDb } from "./test-support.js";

let dir: string;
let db: PrismaClient;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-gc-"));
  db = await migratedDb(path.join(dir, "berth.db"));
});
afterAll(async () => {
  await db?.$disconnect();
  await fs.rm(dir, { recursive: true, force: true });
});

const old = new Date(Date.now() - 3600_000);

it("sweeps only blobs and snapshots nothing refers to, and only once they are past the grace period", async () => {
  const store = new ContentStore(path.join(dir, "content"));
  await store.init();
  const snapshots = new Snapshots(path.join(dir, "snapshots"));
  await snapshots.init();
  const src = path.join(dir, "src");
  await fs.mkdir(src);
  await fs.writeFile(path.join(src, "kept"), "kept");
  const layer = await packDirectory(src, store, { mtime: EPOCH });
  const { id } = await commitImage(db, store, "keep:1", [layer], { architecture: "amd64", os: "linux" });
  const img = await loadImage(db, store, id);
  await snapshots.prepare(img.manifest.layers, img.config.rootfs.diff_ids, store);

  const orphan = await store.write("orphan blob");
  const fresh = await store.write("fresh orphan");
  const orphanChain = sha256("no image has this chain");
  await fs.mkdir(path.join(snapshots.root, digestHex(orphanChain), "fs"), { recursive: true });
  await fs.writeFile(path.join(snapshots.root, digestHex(orphanChain), "fs", "junk"), "12345");
  for (const p of [store.blobPath(orphan.digest), path.join(snapshots.root, digestHex(orphanChain))]) await fs.utimes(p, old, old);
  // Everything of the image is old too: age alone never condemns a referenced blob.
  for (const b of [layer.descriptor.digest, id]) await fs.utimes(store.blobPath(b), old, old);

  const dry = await collectGarbage({ db, blobs: store, snapshots }, { dryRun: true });
  expect(dry).toMatchObject({ blobsRemoved: 1, snapshotsRemoved: 1 });
  expect(await store.has(orphan.digest)).toBe(true);

  const r = await collectGarbage({ db, blobs: store, snapshots });
  expect(r).toEqual({ blobsRemoved: 1, snapshotsRemoved: 1, bytesReclaimed: orphan.size + 5, cacheEntriesRemoved: 0 });
  expect(await store.has(orphan.digest)).toBe(false);
  expect(await store.has(fresh.digest)).toBe(true); // within the grace period
  for (const b of [layer.descriptor.digest, id, img.manifest.config.digest]) expect(await store.has(b)).toBe(true);
  const chain = chainIds(img.config.rootfs.diff_ids)[0]!;
  expect((await fs.readdir(snapshots.root)).sort()).toEqual([digestHex(chain)]);

  const df = await diskUsage({ db, blobs: store, snapshots, containersDir: path.join(dir, "containers"), hostId: "h" });
  expect(df.images).toMatchObject({ total: 1, active: 0 });
  expect(df.images.size).toBeGreaterThan(layer.descriptor.size);
  expect(df.images.reclaimable).toBe(df.images.size);
  expect(df.content.snapshots).toBe(1);

  // Once the image row goes, its blobs and snapshot go with the next sweep, and the build cache
  // entry naming its layer with them (a build must not find an entry whose layers are gone).
  const buildsDir = path.join(dir, "builds");
  await fs.mkdir(path.join(buildsDir, "cache"), { recursive: true });
  await fs.writeFile(path.join(buildsDir, "cache", "k1.json"), JSON.stringify({ layers: [layer], config: {} }));
  await fs.writeFile(path.join(buildsDir, "cache", "k2.json"), JSON.stringify({ layers: [], config: {} }));
  await db.image.delete({ where: { id } });
  const all = await collectGarbage({ db, blobs: store, snapshots, buildsDir }, { graceMs: 0 });
  expect(all.blobsRemoved).toBe(4); // layer, config, manifest, fresh orphan
  expect(all.snapshotsRemoved).toBe(1);
  expect(all.cacheEntriesRemoved).toBe(1);
  expect(await fs.readdir(store.blobs)).toEqual([]);
  expect(await fs.readdir(path.join(buildsDir, "cache"))).toEqual(["k2.json"]);
});
