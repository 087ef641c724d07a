import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { isFailedPrecondition } from "@berth/core";
import { StepRoot } from "./step-root.js";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-step-root-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = path.join(work, `r${++n}`);
  fs.mkdirSync(path.join(d, "layer"), { recursive: true });
  fs.mkdirSync(path.join(d, "host"));
  return { root: path.join(d, "layer"), host: path.join(d, "host") };
};

it("makes directories inside the root and answers their real paths", () => {
  const { root } = fresh();
  const out = new StepRoot(root);
  expect(out.mkdirp("/a/b/c")).toBe(path.join(fs.realpathSync(root), "a/b/c"));
  expect(fs.statSync(path.join(root, "a/b/c")).isDirectory()).toBe(true);
  expect(out.mkdirp("a/b/c")).toBe(path.join(fs.realpathSync(root), "a/b/c"));
});

it("follows a symlink to a host directory inside the root: the host directory gains nothing", () => {
  const { root, host } = fresh();
  fs.mkdirSync(path.join(root, "out"));
  fs.symlinkSync(host, path.join(root, "out/x"));
  const out = new StepRoot(root);
  const dir = out.mkdirp("/out/x");
  expect(dir).toBe(path.join(fs.realpathSync(root), host));
  fs.writeFileSync(out.place(dir, "file"), "pwned");
  expect(fs.readdirSync(host)).toEqual([]);
  expect(fs.readFileSync(path.join(root, host, "file"), "utf8")).toBe("pwned");
});

it("keeps relative links with .. inside the root", () => {
  const { root, host } = fresh();
  fs.symlinkSync("../../../../../../../..", path.join(root, "up"));
  const out = new StepRoot(root);
  expect(out.mkdirp("/up/etc")).toBe(path.join(fs.realpathSync(root), "etc"));
  fs.symlinkSync(path.relative(root, host), path.join(root, "rel"));
  expect(out.mkdirp("/rel").startsWith(`${fs.realpathSync(root)}/`)).toBe(true);
  expect(fs.readdirSync(host)).toEqual([]);
});

it("place() removes an earlier file or link (never writing through it) and refuses to replace a directory", () => {
  const { root, host } = fresh();
  const target = path.join(host, "victim");
  fs.writeFileSync(target, "keep");
  fs.symlinkSync(target, path.join(root, "f"));
  const out = new StepRoot(root);
  const p = out.place(fs.realpathSync(root), "f");
  fs.writeFileSync(p, "new", { flag: "wx" });
  expect(fs.readFileSync(target, "utf8")).toBe("keep");
  fs.mkdirSync(path.join(root, "d"));
  let err: unknown;
  try {
    out.place(fs.realpathSync(root), "d");
  } catch (e) {
    err = e;
  }
  expect(isFailedPrecondition(err)).toBe(true);
});

it("refuses to enter a file or a symlink loop", () => {
  const { root } = fresh();
  fs.writeFileSync(path.join(root, "file"), "");
  fs.symlinkSync("/loop", path.join(root, "loop"));
  const out = new StepRoot(root);
  for (const p of ["/file/x", "/loop/x"]) {
    let err: unknown;
    try {
      out.mkdirp(p);
    } catch (e) {
      err = e;
    }
    expect(isFailedPrecondition(err), p).toBe(true);
  }
});
