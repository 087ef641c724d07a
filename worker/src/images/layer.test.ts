import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { MediaType, sha256 } from "@berth/core";
import { ContentStore } from "@berth/core/content";
import { EPOCH, packDirectory } from "./layer.js";
import { unpackLayer } from "./unpack.js";

let dir: string;
let store: ContentStore;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-layer-"));
  store = new ContentStore(path.join(dir, "content"));
  await store.init();
  const src = path.join(dir, "src");
  await fs.mkdir(path.join(src, "bin"), { recursive: true });
  await fs.writeFile(path.join(src, "bin/tool"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
  await fs.symlink("/bin/tool", path.join(src, "bin/alias"));
  await fs.writeFile(path.join(src, "readme"), "layer");
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

it("packs a directory into a plain tar layer whose digest is its diff_id", async () => {
  const layer = await packDirectory(path.join(dir, "src"), store, { mtime: EPOCH });
  const tarBytes = await store.read(layer.descriptor.digest);
  expect(layer.descriptor.mediaType).toBe(MediaType.layerTar);
  expect(sha256(tarBytes)).toBe(layer.descriptor.digest);
  expect(layer.diffId).toBe(layer.descriptor.digest);
  expect(layer.descriptor.size).toBe(tarBytes.length);
  expect(layer.tarSize).toBe(tarBytes.length);
  expect(tarBytes.subarray(257, 262).toString("latin1")).toBe("ustar");
});

it("is reproducible: the same tree gives the same digest", async () => {
  const a = await packDirectory(path.join(dir, "src"), store, { mtime: EPOCH });
  await fs.utimes(path.join(dir, "src/readme"), new Date(), new Date());
  const b = await packDirectory(path.join(dir, "src"), store, { mtime: EPOCH });
  expect(b.descriptor.digest).toBe(a.descriptor.digest);
});

it("unpacks what it packed: files, modes and symlinks", async () => {
  const layer = await packDirectory(path.join(dir, "src"), store, { mtime: EPOCH });
  const out = path.join(dir, "out");
  await unpackLayer(layer.descriptor, store, out);
  expect(await fs.readFile(path.join(out, "readme"), "utf8")).toBe("layer");
  expect((await fs.stat(path.join(out, "bin/tool"))).mode & 0o777).toBe(0o755);
  expect(await fs.readlink(path.join(out, "bin/alias"))).toBe("/bin/tool");
});
