import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dockerignore, prepareContext } from "./context.js";
import { globRegex } from "./view.js";

it("matches .dockerignore like Docker (patterns, directories, ! exceptions)", () => {
  const ig = dockerignore("# comment\n*.log\n!keep.log\n/build\nsecret\n");
  expect(ig("a.log", false)).toBe(true);
  expect(ig("keep.log", false)).toBe(false);
  expect(ig("build", true)).toBe(true);
  expect(ig("build/x", false)).toBe(true);
  expect(ig("secret", false)).toBe(true);
  expect(ig("src/main.c", false)).toBe(false);
});

it("turns one path component's glob into a regular expression", () => {
  expect(globRegex("*.txt").test("a.txt")).toBe(true);
  expect(globRegex("*.txt").test("a.txt.bak")).toBe(false);
  expect(globRegex("file?.[ch]").test("file1.c")).toBe(true);
  expect(globRegex("[!a]*").test("abc")).toBe(false);
  expect(globRegex("a+b.(c)").test("a+b.(c)")).toBe(true);
});

describe("prepareContext", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-context-"));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  /** A tar with these members (names as given, even hostile ones), made by Python's tarfile. */
  const tarOf = (members: Record<string, string>) =>
    execFileSync("python3", ["-c", "import io,json,sys,tarfile\nt=tarfile.open(fileobj=sys.stdout.buffer,mode='w|')\nfor n,d in json.load(sys.stdin).items():\n  i=tarfile.TarInfo(n); b=d.encode(); i.size=len(b); t.addfile(i,io.BytesIO(b))\nt.close()"], { input: JSON.stringify(members) });

  it("unpacks a context that came inside its job as one that came as a file, .dockerignore applied", async () => {
    const tar = tarOf({ Dockerfile: "FROM busybox\n", ".dockerignore": "*.log\n", "a.txt": "a", "x.log": "log" });
    const file = path.join(work, "ctx.tar");
    fs.writeFileSync(file, tar);
    for (const source of [tar, file]) {
      const dir = path.join(work, `out-${typeof source}`);
      expect((await prepareContext(source, dir, "Dockerfile")).dockerfile).toBe("FROM busybox\n");
      expect(fs.readdirSync(dir).sort()).toEqual([".dockerignore", "Dockerfile", "a.txt"]);
    }
  });

  it("refuses a member that climbs out of the context, whichever way the context came", async () => {
    const tar = tarOf({ Dockerfile: "FROM busybox\n", "../escape.txt": "x" });
    const file = path.join(work, "evil.tar");
    fs.writeFileSync(file, tar);
    for (const source of [tar, file]) {
      const dir = path.join(work, `evil-${typeof source}`);
      await expect(prepareContext(source, dir, "Dockerfile")).rejects.toThrow(/\.\./);
      expect(fs.existsSync(path.join(work, "escape.txt"))).toBe(false);
    }
  });
});
