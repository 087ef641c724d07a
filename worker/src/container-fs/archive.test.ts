import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { archiveGet } from "./archive-get.js";
import { archivePut } from "./archive-put.js";

// A container root is any directory here: openInRoot resolves inside it as inside /proc/<pid>/root.
let dir: string;
let root: string;
let outside: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-cpunit-"));
  root = path.join(dir, "root");
  outside = path.join(dir, "outside");
  fs.mkdirSync(path.join(root, "etc"), { recursive: true });
  fs.mkdirSync(path.join(root, "tmp"));
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, "etc/passwd"), "container\n");
  fs.writeFileSync(path.join(outside, "secret"), "host\n");
  fs.symlinkSync("/", path.join(root, "tmp/evil"));
  fs.symlinkSync("../../../../../../..", path.join(root, "tmp/evil2"));
  fs.symlinkSync(outside, path.join(root, "tmp/out"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function tarOf(files: Record<string, string>): Promise<string> {
  const src = path.join(dir, "src");
  for (const [name, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, name)), { recursive: true });
    fs.writeFileSync(path.join(src, name), body);
  }
  const file = path.join(dir, `in-${Math.random()}.tar`);
  await tar.c({ cwd: src, file, portable: true }, Object.keys(files).map((n) => n.split("/")[0]!));
  return file;
}

describe("archivePut", () => {
  it("writes through a symlink to / into the root, never outside it", async () => {
    const t = await tarOf({ pwned: "x\n" });
    await archivePut(root, "/tmp/evil/etc", t, { base: "pwned", isDir: false });
    await archivePut(root, "/tmp/evil2/etc/pwned2", t, { base: "pwned", isDir: false });
    await archivePut(root, `/tmp/out`, t, { base: "pwned", isDir: false });
    expect(fs.readFileSync(path.join(root, "etc/pwned"), "utf8")).toBe("x\n");
    expect(fs.readFileSync(path.join(root, "etc/pwned2"), "utf8")).toBe("x\n");
    expect(fs.existsSync(path.join(outside, "pwned"))).toBe(false);
    // /tmp/out points at a path the root lacks: DEST does not exist, so the file replaces the link.
    expect(fs.lstatSync(path.join(root, "tmp/out")).isFile()).toBe(true);
    expect(fs.readdirSync(outside)).toEqual(["secret"]);
  });

  it("replaces a symlink at the destination instead of writing through it", async () => {
    fs.symlinkSync(path.join(outside, "secret"), path.join(root, "etc/link"));
    const t = await tarOf({ f: "new\n" });
    await archivePut(root, "/etc/link", t, { base: "f", isDir: false });
    expect(fs.readFileSync(path.join(outside, "secret"), "utf8")).toBe("host\n");
    expect(fs.readFileSync(path.join(root, "etc/link"), "utf8")).toBe("new\n");
  });

  it("refuses archive entries with .. or absolute names", async () => {
    const t = path.join(dir, "bad.tar");
    fs.writeFileSync(path.join(dir, "x"), "x");
    await tar.c({ cwd: dir, file: t, preservePaths: true }, ["../" + path.basename(dir) + "/x"]);
    await expect(archivePut(root, "/tmp", t, undefined)).rejects.toThrow(/\.\./);
  });
});

describe("archiveGet", () => {
  it("reads through links inside the root only", async () => {
    const out = path.join(dir, "o.tar");
    await archiveGet(root, "/tmp/evil/etc/passwd", out, "c");
    const names: string[] = [];
    await tar.t({ file: out, onReadEntry: (e) => names.push(e.path) });
    expect(names).toEqual(["passwd"]);
    await expect(archiveGet(root, `/tmp/evil${outside}/secret`, path.join(dir, "o2.tar"), "c")).rejects.toThrow(/Could not find the file/);
    await expect(archiveGet(root, "/tmp/out/", path.join(dir, "o3.tar"), "c")).rejects.toThrow(/Could not find the file/);
  });
});
