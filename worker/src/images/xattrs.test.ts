// Extended attributes through a layer: packed from a directory as PAX SCHILY.xattr records,
// applied again on unpack; and a hand-made tar as `docker save` writes one (binary values).
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { Header } from "tar";
import { getXattr, listXattrs, setXattr } from "@berth/native";
import { MediaType } from "@berth/core";
import { ContentStore } from "@berth/core/content";
import { packUpperDir } from "./diff.js";
import { setOpaque } from "./fsops.js";
import { paxEntry, parsePax } from "./pax.js";
import { unpackLayer } from "./unpack.js";
import { readLayerXattrs } from "./xattrs.js";

// cap_net_bind_service+ep as setcap writes it (VFS_CAP_REVISION_2): binary, NULs included.
const CAP = Buffer.from("0100000200040000000000000000000000000000", "hex");
// A value with a newline and bytes that are not UTF-8: what a text-only PAX reader would mangle.
const AWKWARD = Buffer.from([0x0a, 0xff, 0x00, 0xc3, 0x28, 0x3d, 0x0a]);

let dir: string;
let store: ContentStore;
beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("xattr layer tests need root (security.capability, trusted.*)");
});
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-xattrs-"));
  store = new ContentStore(path.join(dir, "content"));
  await store.init();
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

const names = (p: string) => listXattrs(p).sort();

it("packs user.* and security.capability into the layer and applies them on unpack; overlay's own stay out", async () => {
  const src = path.join(dir, "upper");
  await fs.mkdir(path.join(src, "usr/bin"), { recursive: true });
  await fs.mkdir(path.join(src, "data"), { recursive: true });
  await fs.writeFile(path.join(src, "usr/bin/ping"), "#!/bin/sh\n", { mode: 0o755 });
  await fs.writeFile(path.join(src, "data/file"), "content");
  await fs.symlink("file", path.join(src, "data/link"));
  setXattr(path.join(src, "usr/bin/ping"), "security.capability", CAP);
  setXattr(path.join(src, "data/file"), "user.mime_type", "text/plain");
  setXattr(path.join(src, "data/file"), "user.awkward", AWKWARD);
  setXattr(path.join(src, "data"), "user.dir", "on a directory");
  setXattr(path.join(src, "data/link"), "trusted.berth-link", "on the link itself");
  // overlay bookkeeping on the upper dir: must not travel (the opaque mark becomes a whiteout file)
  await setOpaque(path.join(src, "data"));
  setXattr(path.join(src, "data/file"), "trusted.overlay.origin", Buffer.from([1, 2, 3]));

  const layer = await packUpperDir(src, store);
  const out = path.join(dir, "out");
  await unpackLayer(layer.descriptor, store, out);

  expect(getXattr(path.join(out, "usr/bin/ping"), "security.capability").equals(CAP)).toBe(true);
  expect(getXattr(path.join(out, "data/file"), "user.mime_type").toString()).toBe("text/plain");
  expect(getXattr(path.join(out, "data/file"), "user.awkward").equals(AWKWARD)).toBe(true);
  expect(getXattr(path.join(out, "data"), "user.dir").toString()).toBe("on a directory");
  expect(getXattr(path.join(out, "data/link"), "trusted.berth-link").toString()).toBe("on the link itself");
  expect(names(path.join(out, "data/file"))).toEqual(["user.awkward", "user.mime_type"]);
  // The opaque mark came back from the `.wh..wh..opq` entry, not from a copied xattr.
  expect(getXattr(path.join(out, "data"), "trusted.overlay.opaque").toString()).toBe("y");
  expect(names(path.join(out, "usr/bin"))).toEqual([]);
  // Same attribute sets as the source, minus overlay's.
  for (const rel of ["usr/bin/ping", "data/file", "data", "data/link"]) {
    expect(readLayerXattrs(path.join(out, rel))).toEqual(readLayerXattrs(path.join(src, rel)));
  }
  // The same tree packs to the same bytes.
  expect((await packUpperDir(src, store)).diffId).toBe(layer.diffId);
});

it("writes PAX records byte-exact and reads them back", () => {
  const e = paxEntry("a/b", { path: "a/b", xattrs: [["user.x", AWKWARD], ["security.capability", CAP]] }, new Date(0));
  expect(e.length % 512).toBe(0);
  const size = parseInt(e.subarray(124, 136).toString("latin1").replace(/\0.*$/s, "").trim(), 8);
  expect(String.fromCharCode(e[156]!)).toBe("x");
  const r = parsePax(e.subarray(512, 512 + size));
  expect(r.fields.get("path")).toBe("a/b");
  expect(r.xattrs.get("user.x")?.equals(AWKWARD)).toBe(true);
  expect(r.xattrs.get("security.capability")?.equals(CAP)).toBe(true);
});

it("applies the xattrs of a tar written as Docker writes them, and ignores host labels and overlay marks", async () => {
  const entry = (name: string, type: "File" | "Directory", body: Buffer, xattrs: [string, Buffer][]) => {
    const h = Buffer.alloc(512);
    new Header({ path: name, type, size: body.length, mode: type === "Directory" ? 0o755 : 0o755, uid: 0, gid: 0, mtime: new Date(1e12) }).encode(h, 0);
    const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
    return Buffer.concat([paxEntry(name, { xattrs }, new Date(1e12)), h, body, pad]);
  };
  const longName = `${"deep/".repeat(30)}tool`; // > 100 bytes: the path rides in the same PAX header
  const tar = Buffer.concat([
    entry("bin/", "Directory", Buffer.alloc(0), []),
    entry("bin/tool", "File", Buffer.from("#!/bin/sh\n"), [["security.capability", CAP], ["security.selinux", Buffer.from("system_u:object_r:bin_t:s0\0")]]),
    entry("etc/", "Directory", Buffer.alloc(0), [["trusted.overlay.redirect", Buffer.from("/elsewhere")]]),
    (() => {
      const h = Buffer.alloc(512);
      const body = Buffer.from("deep");
      new Header({ path: longName, type: "File", size: body.length, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) }).encode(h, 0);
      return Buffer.concat([paxEntry(longName, { path: longName, xattrs: [["user.deep", Buffer.from("yes")]] }, new Date(0)), h, body, Buffer.alloc(508)]);
    })(),
    Buffer.alloc(1024),
  ]);
  const { digest, size } = await store.write(tar);
  const out = path.join(dir, "root");
  await unpackLayer({ mediaType: MediaType.layerTar, digest, size }, store, out);
  expect(getXattr(path.join(out, "bin/tool"), "security.capability").equals(CAP)).toBe(true);
  expect(names(path.join(out, "bin/tool"))).not.toContain("security.selinux");
  expect(names(path.join(out, "etc"))).not.toContain("trusted.overlay.redirect");
  expect(getXattr(path.join(out, longName), "user.deep").toString()).toBe("yes");
});
