// Hard links of a layer, unpacked directly (no load-time checker in front): they resolve inside
// the layer and the snapshots below it, never through a symlink, never to a host file.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isInvalidArgument, MediaType } from "@berth/core";
import { ContentStore } from "@berth/core/content";
import { getXattr, setXattr } from "@berth/native";
import { setOpaque } from "./fsops.js";
import { rawTar, type RawEntry } from "./test-support.js";
import { unpackLayer } from "./unpack.js";

let dir: string;
let store: ContentStore;
let hostDir: string;
let marker: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-hardlink-"));
  hostDir = path.join(dir, "host");
  await fs.mkdir(hostDir);
  marker = path.join(hostDir, "secret");
  await fs.writeFile(marker, "host secret\n");
  store = new ContentStore(path.join(dir, "content"));
  await store.init();
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

/** Unpacks the layers in order, each into its own snapshot over the ones before; returns their dirs. */
async function unpackChain(...layers: RawEntry[][]): Promise<{ dirs: string[]; digests: string[] }> {
  const dirs: string[] = [];
  const digests: string[] = [];
  for (const [i, entries] of layers.entries()) {
    const { digest, size } = await store.write(rawTar(entries));
    digests.push(digest);
    const dest = path.join(dir, `snap${i}`);
    await unpackLayer({ mediaType: MediaType.layerTar, digest, size }, store, dest, [...dirs].reverse());
    dirs.push(dest);
  }
  return { dirs, digests };
}

async function refused(layers: RawEntry[][], why: RegExp): Promise<void> {
  const err = await unpackChain(...layers).catch((e: unknown) => e);
  expect(isInvalidArgument(err), String(err)).toBe(true);
  // Names the layer's digest and the entry.
  expect(String(err)).toMatch(/layer sha256:[0-9a-f]{64}: layer entry "leak" is a hard link to /);
  expect(String(err)).toMatch(why);
  expect((await fs.stat(marker)).nlink).toBe(1);
}

describe("refuses a hard link that would reach past the layer", () => {
  it("through a symlink to a host directory", () =>
    refused(
      [
        [
          { path: "evil", type: "SymbolicLink", linkpath: hostDir },
          { path: "leak", type: "Link", linkpath: "evil/secret" },
        ],
      ],
      /crosses the symlink "evil"/,
    ));

  it("through a chain of relative symlinks climbing out", () =>
    refused(
      [
        [
          { path: "a", type: "SymbolicLink", linkpath: "b" },
          { path: "b", type: "SymbolicLink", linkpath: `../../../../../../../..${hostDir}` },
          { path: "leak", type: "Link", linkpath: "a/secret" },
        ],
      ],
      /crosses the symlink "a"/,
    ));

  it("through a symlink of a lower layer", () => refused([[{ path: "evil", type: "SymbolicLink", linkpath: hostDir }], [{ path: "leak", type: "Link", linkpath: "evil/secret" }]], /crosses the symlink "evil"/));

  it("to an absolute path", () => refused([[{ path: "leak", type: "Link", linkpath: marker }]], /an absolute path/));

  it("to a file that exists nowhere in the image", () => refused([[{ path: "leak", type: "Link", linkpath: "nowhere" }]], /neither earlier in this layer nor in a layer below/));

  it("to a file a higher layer whited out", () =>
    refused([[{ path: "f", body: "lower" }], [{ path: ".wh.f" }], [{ path: "leak", type: "Link", linkpath: "f" }]], /neither earlier in this layer nor in a layer below/));

  it("to a file under a directory a higher layer made opaque", async () => {
    const { dirs } = await unpackChain([{ path: "d/", type: "Directory" }, { path: "d/f", body: "lower" }], [{ path: "d/", type: "Directory" }]);
    await setOpaque(path.join(dirs[1]!, "d"));
    const { digest, size } = await store.write(rawTar([{ path: "leak", type: "Link", linkpath: "d/f" }]));
    const err = await unpackLayer({ mediaType: MediaType.layerTar, digest, size }, store, path.join(dir, "top"), [...dirs].reverse()).catch((e: unknown) => e);
    expect(String(err)).toMatch(/"leak" is a hard link to "d\/f", which is neither earlier/);
  });
});

describe("links inside the snapshot chain", () => {
  it("links a file of the same layer, sharing its inode", async () => {
    const { dirs } = await unpackChain([
      { path: "bin/", type: "Directory" },
      { path: "bin/busybox", body: "elf" },
      { path: "bin/ls", type: "Link", linkpath: "./bin/busybox" },
    ]);
    const a = await fs.stat(path.join(dirs[0]!, "bin/busybox"));
    expect((await fs.stat(path.join(dirs[0]!, "bin/ls"))).ino).toBe(a.ino);
    expect(a.nlink).toBe(2);
  });

  it("copies a lower layer's file up into the layer, then links it there (as overlayfs would)", async () => {
    const { dirs: below } = await unpackChain([{ path: "usr/", type: "Directory" }, { path: "usr/tool", body: "from below", mode: 0o750 }]);
    setXattr(path.join(below[0]!, "usr/tool"), "user.kept", "yes");
    const { digest, size } = await store.write(rawTar([{ path: "bin/", type: "Directory" }, { path: "bin/tool", type: "Link", linkpath: "usr/tool" }]));
    const top = path.join(dir, "top");
    await unpackLayer({ mediaType: MediaType.layerTar, digest, size }, store, top, [below[0]!]);
    const dirs = [below[0]!, top];
    const [lower, upper] = dirs as [string, string];
    expect(getXattr(path.join(upper, "usr/tool"), "user.kept").toString()).toBe("yes");
    const up = await fs.stat(path.join(upper, "usr/tool"));
    const link = await fs.stat(path.join(upper, "bin/tool"));
    expect(link.ino).toBe(up.ino);
    expect(up.mode & 0o7777).toBe(0o750);
    expect(await fs.readFile(path.join(upper, "bin/tool"), "utf8")).toBe("from below");
    // The lower snapshot is untouched: no inode shared between snapshots.
    expect((await fs.stat(path.join(lower, "usr/tool"))).nlink).toBe(1);
  });

  it("refuses a lower layer's symlink as a cross-layer target (only regular files are copied up)", async () => {
    const err = await unpackChain([{ path: "s", type: "SymbolicLink", linkpath: "/etc/passwd" }], [{ path: "leak", type: "Link", linkpath: "s" }]).catch((e: unknown) => e);
    expect(String(err)).toMatch(/"leak" is a hard link to "s", a symlink of a lower layer/);
  });
});
