import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Header } from "tar";
import { isInvalidArgument, MediaType } from "@berth/core";
import { ContentStore } from "@berth/core/content";
import { unpackLayer } from "./unpack.js";

interface RawEntry {
  path: string;
  type?: "File" | "Directory" | "SymbolicLink" | "Link";
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
