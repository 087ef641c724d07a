import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { makeWhiteout, setOpaque } from "../images/fsops.js";
import { MergedView } from "./view.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-view-"));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

const put = async (rel: string, body = "x") => {
  await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
  await fs.writeFile(path.join(dir, rel), body);
};

it("shows layers as overlayfs would: whiteouts and opaque dirs hide lower content", async () => {
  await put("lower/etc/a", "lower-a");
  await put("lower/etc/b");
  await put("lower/var/cache/old");
  await put("upper/etc/a", "upper-a");
  await makeWhiteout(path.join(dir, "upper/etc/b"));
  await put("upper/var/cache/new");
  await setOpaque(path.join(dir, "upper/var/cache"));
  const v = await MergedView.open([path.join(dir, "upper"), path.join(dir, "lower")]);
  expect(await fs.readFile((await v.lookup("etc/a"))!.abs, "utf8")).toBe("upper-a");
  expect(await v.lookup("etc/b")).toBeUndefined();
  expect(await v.readdir("etc")).toEqual(["a"]);
  expect(await v.readdir("var/cache")).toEqual(["new"]);
  expect(await v.lookup("var/cache/old")).toBeUndefined();
  expect(await v.glob("etc/*")).toEqual(["etc/a"]);
});

it("follows symlinks inside the view, never out to the host", async () => {
  await put("ctx/real/file", "inside");
  await fs.symlink("real", path.join(dir, "ctx/rel"));
  await fs.symlink("/real", path.join(dir, "ctx/abs"));
  await fs.symlink("/etc", path.join(dir, "ctx/evil"));
  await fs.symlink("../../../../../etc", path.join(dir, "ctx/dots"));
  const v = await MergedView.open([path.join(dir, "ctx")], false);
  expect(await fs.readFile((await v.lookup("rel/file"))!.abs, "utf8")).toBe("inside");
  expect(await fs.readFile((await v.lookup("abs/file"))!.abs, "utf8")).toBe("inside");
  expect(await v.lookup("evil/passwd")).toBeUndefined();
  expect(await v.lookup("dots/passwd")).toBeUndefined();
  expect(await v.readdir("evil")).toEqual([]);
  expect(await v.readdir("rel")).toEqual(["file"]);
  expect((await v.lookup("evil"))!.st.isSymbolicLink()).toBe(true);
});
