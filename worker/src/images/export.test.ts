import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { exportMerged } from "./export.js";
import { TarIndex } from "./tar-index.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-export-"));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

async function put(root: string, files: Record<string, string>) {
  for (const [p, body] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, p)), { recursive: true });
    await fs.writeFile(path.join(root, p), body);
  }
}

it("writes the merged root: upper over lowers, whiteouts and opaque dirs honoured, no whiteout in the tar", async () => {
  const lower = path.join(dir, "lower");
  const mid = path.join(dir, "mid");
  const upper = path.join(dir, "upper");
  await put(lower, { "a/x": "lower-x", "a/y": "lower-y", "d/old": "old", f: "f", "h/deep/z": "z" });
  await put(mid, { "a/x": "mid-x" });
  await fs.symlink("/a/x", path.join(mid, "link"));
  await fs.link(path.join(mid, "a/x"), path.join(mid, "a/x-hard"));
  await put(upper, { "d/new": "new", g: "g" });
  await fs.mkdir(path.join(upper, "a"), { recursive: true });
  execFileSync("mknod", [path.join(upper, "a/y"), "c", "0", "0"]);
  execFileSync("mknod", [path.join(upper, "h"), "c", "0", "0"]);
  execFileSync("python3", ["-c", "import os,sys; os.setxattr(sys.argv[1], 'trusted.overlay.opaque', b'y')", path.join(upper, "d")]);

  const out = path.join(dir, "out.tar");
  const size = await exportMerged([upper, mid, lower, path.join(dir, "no-such-layer")], out);
  expect(size).toBe((await fs.stat(out)).size);
  const idx = await TarIndex.open(out);
  expect(idx.names().sort()).toEqual(["a", "a/x", "a/x-hard", "d", "d/new", "f", "g", "link"]);
  expect((await idx.read("a/x")).toString()).toBe("mid-x");
  expect(idx.member("a/x-hard").offset).toBe(idx.member("a/x").offset); // a hard link entry pointing at a/x
  expect((await idx.read("d/new")).toString()).toBe("new");
  // plain tar any tool reads
  const listing = execFileSync("tar", ["-tvf", out], { encoding: "utf8" });
  expect(listing).toMatch(/link -> \/a\/x/);
  expect(listing).toMatch(/a\/x-hard link to a\/x/);
});
