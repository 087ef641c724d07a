import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { Header } from "tar";
import { isFailedPrecondition, isInvalidArgument, MediaType } from "@berth/core";
import { ContentStore } from "@berth/core/content";
import { unpackLayer } from "./unpack.js";

interface RawEntry {
  path: string;
  type?: "File" | "Directory" | "SymbolicLink" | "Link" | "FIFO" | "CharacterDevice";
  body?: string;
  linkpath?: string;
}

/** Builds tar bytes by hand, so tests can make the hostile entries a well-behaved packer refuses to write. */
function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? "");
    const h = new Header({ path: e.path, type: e.type ?? "File", size: body.length, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), linkpath: e.linkpath ?? "" });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

let dir: string;
let store: ContentStore;
let outside: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-unpack-"));
  outside = path.join(dir, "outside");
  await fs.mkdir(outside);
  store = new ContentStore(path.join(dir, "content"));
  await store.init();
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

async function unpack(entries: RawEntry[]) {
  const { digest, size } = await store.write(rawTar(entries));
  await unpackLayer({ mediaType: MediaType.layerTar, digest, size }, store, path.join(dir, "root"));
}

it("keeps absolute symlink targets as they are: they point into the container's root", async () => {
  await unpack([
    { path: "bin/", type: "Directory" },
    { path: "bin/busybox", body: "elf" },
    { path: "bin/sh", type: "SymbolicLink", linkpath: "/bin/busybox" },
    { path: "bin/ls", type: "Link", linkpath: "bin/busybox" },
  ]);
  expect(await fs.readlink(path.join(dir, "root/bin/sh"))).toBe("/bin/busybox");
  expect((await fs.stat(path.join(dir, "root/bin/ls"))).ino).toBe((await fs.stat(path.join(dir, "root/bin/busybox"))).ino);
});

describe("refuses tar-slip", () => {
  const refused = async (entries: RawEntry[], why: RegExp) => {
    const err = await unpack(entries).catch((e: unknown) => e);
    expect(isInvalidArgument(err), String(err)).toBe(true);
    expect(String(err)).toMatch(why);
    expect(await fs.readdir(outside)).toEqual([]);
  };

  it("an absolute path", () => refused([{ path: `${outside}/pwned`, body: "x" }], /absolute path/));
  it("a path with ..", () => refused([{ path: "../outside/pwned", body: "x" }], /\.\./));
  it("a write through a symlink", () =>
    refused(
      [
        { path: "escape", type: "SymbolicLink", linkpath: outside },
        { path: "escape/pwned", body: "x" },
      ],
      /through the symlink/,
    ));
  it("a hard link to outside the layer", () => refused([{ path: "pwned", type: "Link", linkpath: "../outside/secret" }], /\.\./));
});

describe("whiteouts, as overlayfs reads them", () => {
  const unpackInto = async (name: string, entries: RawEntry[]) => {
    const { digest, size } = await store.write(rawTar(entries));
    const dest = path.join(dir, name);
    await unpackLayer({ mediaType: MediaType.layerTar, digest, size }, store, dest);
    return dest;
  };
  const xattr = (p: string) => execFileSync("python3", ["-c", "import os,sys; print(os.getxattr(sys.argv[1], 'trusted.overlay.opaque').decode())", p], { encoding: "utf8" }).trim();

  it("turns .wh.name into a 0/0 character device and .wh..wh..opq into the opaque mark", async () => {
    const root = await unpackInto("upper", [
      { path: "a/", type: "Directory" },
      { path: "a/.wh.gone" },
      { path: "d/", type: "Directory" },
      { path: "d/.wh..wh..opq" },
      { path: "d/new", body: "new" },
      { path: "e/.wh..wh..opq" },
    ]);
    const st = await fs.lstat(path.join(root, "a/gone"));
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe(0);
    expect(xattr(path.join(root, "d"))).toBe("y");
    expect(xattr(path.join(root, "e"))).toBe("y");
    expect(await fs.readFile(path.join(root, "d/new"), "utf8")).toBe("new");
    await expect(fs.lstat(path.join(root, "d/.wh..wh..opq"))).rejects.toThrow();
  });

  it("a directory deleted and made again in one layer hides the lower one's content", async () => {
    const root = await unpackInto("redo", [{ path: ".wh.d" }, { path: "d/", type: "Directory" }, { path: "d/x", body: "x" }]);
    expect((await fs.lstat(path.join(root, "d"))).isDirectory()).toBe(true);
    expect(xattr(path.join(root, "d"))).toBe("y");
  });

  it("stacked with overlayfs, deleted files are gone and the rest is there", async () => {
    const lower = await unpackInto("lower", [
      { path: "a/", type: "Directory" },
      { path: "a/gone", body: "1" },
      { path: "a/kept", body: "2" },
      { path: "d/", type: "Directory" },
      { path: "d/old", body: "3" },
    ]);
    const upper = await unpackInto("upper2", [{ path: "a/.wh.gone" }, { path: "d/.wh..wh..opq" }, { path: "d/new", body: "4" }]);
    const mnt = path.join(dir, "mnt");
    await fs.mkdir(mnt);
    execFileSync("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${upper}:${lower}`, mnt]);
    try {
      expect((await fs.readdir(path.join(mnt, "a"))).sort()).toEqual(["kept"]);
      expect((await fs.readdir(path.join(mnt, "d"))).sort()).toEqual(["new"]);
    } finally {
      execFileSync("umount", [mnt]);
    }
  });

  it("refuses a whiteout of .. (it would name the parent)", async () => {
    const err = await unpackInto("bad", [{ path: "a/.wh..." }]).catch((e: unknown) => e);
    expect(isInvalidArgument(err)).toBe(true);
  });

  it("makes FIFOs, skips device nodes under /dev and refuses them elsewhere", async () => {
    const root = await unpackInto("special", [{ path: "run/pipe", type: "FIFO" }, { path: "dev/null", type: "CharacterDevice" }]);
    expect((await fs.lstat(path.join(root, "run/pipe"))).isFIFO()).toBe(true);
    await expect(fs.lstat(path.join(root, "dev/null"))).rejects.toThrow();
    const err = await unpackInto("special2", [{ path: "disk", type: "CharacterDevice" }]).catch((e: unknown) => e);
    expect(isFailedPrecondition(err)).toBe(true);
  });
});
