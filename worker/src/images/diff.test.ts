import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { sha256 } from "@berth/core";
import { ContentStore } from "@berth/core/content";
import { packUpperDir } from "./diff.js";
import { makeWhiteout, setOpaque } from "./fsops.js";
import { unpackLayer } from "./unpack.js";

let dir: string;
let store: ContentStore;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-diff-"));
  store = new ContentStore(path.join(dir, "content"));
  await store.init();
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

/** Entry names of a tar, in order (ustar names: enough for these short paths). */
function names(tar: Buffer): string[] {
  const out: string[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    out.push(h.subarray(0, 100).toString("latin1").replace(/\0.*$/s, ""));
    const size = parseInt(h.subarray(124, 136).toString("latin1").replace(/\0.*$/s, "").trim() || "0", 8);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

it("turns overlay deletions and opaque dirs into OCI whiteouts, keeping owners and modes", async () => {
  const upper = path.join(dir, "upper");
  await fs.mkdir(path.join(upper, "etc"), { recursive: true });
  await fs.mkdir(path.join(upper, "var/cache"), { recursive: true });
  await fs.writeFile(path.join(upper, "etc/new.conf"), "x", { mode: 0o640 });
  await fs.chown(path.join(upper, "etc/new.conf"), 65534, 65534);
  await makeWhiteout(path.join(upper, "etc/old.conf"));
  await setOpaque(path.join(upper, "var/cache"));
  await fs.writeFile(path.join(upper, "var/cache/fresh"), "y");

  const layer = await packUpperDir(upper, store);
  const tar = await store.read(layer.descriptor.digest);
  expect(sha256(tar)).toBe(layer.descriptor.digest);
  expect(layer.diffId).toBe(layer.descriptor.digest);
  expect(names(tar)).toEqual(["etc/", "etc/new.conf", "etc/.wh.old.conf", "var/", "var/cache/", "var/cache/.wh..wh..opq", "var/cache/fresh"]);

  // Unpacked again, the layer means the same thing to overlayfs.
  const out = path.join(dir, "out");
  await unpackLayer(layer.descriptor, store, out);
  const st = await fs.stat(path.join(out, "etc/new.conf"));
  expect([st.uid, st.gid, st.mode & 0o777]).toEqual([65534, 65534, 0o640]);
  const wh = await fs.lstat(path.join(out, "etc/old.conf"));
  expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
});

it("gives the same layer for the same tree, with long names (pax) and hard links", async () => {
  const tree = path.join(dir, "tree");
  const long = `${"d".repeat(120)}/${"f".repeat(120)}`;
  await fs.mkdir(path.join(tree, "d".repeat(120)), { recursive: true });
  await fs.writeFile(path.join(tree, long), "long");
  await fs.writeFile(path.join(tree, "a"), "same inode");
  await fs.link(path.join(tree, "a"), path.join(tree, "b"));
  const mtime = new Date("2000-01-01T00:00:00Z");
  const one = await packUpperDir(tree, store, { mtime, noOpaque: true });
  const two = await packUpperDir(tree, store, { mtime, noOpaque: true });
  expect(two).toEqual(one);
  const out = path.join(dir, "out2");
  await unpackLayer(one.descriptor, store, out);
  expect(await fs.readFile(path.join(out, long), "utf8")).toBe("long");
  const [a, b] = await Promise.all([fs.stat(path.join(out, "a")), fs.stat(path.join(out, "b"))]);
  expect(a.ino).toBe(b.ino);
});
