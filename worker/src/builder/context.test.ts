import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isInvalidArgument } from "@berth/core";
import { dockerignore, extractArchive, prepareContext } from "./context.js";
import { CONTEXT_LIMITS, ContextLimitExceeded } from "./limits.js";
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

describe("prepareContext with hostile contexts", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-context-hostile-"));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const tarOf = (members: Record<string, string | { link: string }>) =>
    execFileSync(
      "python3",
      [
        "-c",
        "import io,json,sys,tarfile\nt=tarfile.open(fileobj=sys.stdout.buffer,mode='w|')\nfor n,d in json.load(sys.stdin).items():\n  i=tarfile.TarInfo(n)\n  if isinstance(d,dict): i.type=tarfile.SYMTYPE; i.linkname=d['link']; t.addfile(i)\n  else: b=d.encode(); i.size=len(b); t.addfile(i,io.BytesIO(b))\nt.close()",
      ],
      { input: JSON.stringify(members), maxBuffer: 1 << 30 },
    );
  let n = 0;
  const bothWays = (tar: Buffer): [string | Buffer, string][] => {
    const file = path.join(work, `c${++n}.tar`);
    fs.writeFileSync(file, tar);
    return [
      [tar, path.join(work, `c${n}-inline`)],
      [file, path.join(work, `c${n}-file`)],
    ];
  };

  it("reads a Dockerfile symlinked to a host file inside the context, never the host file", async () => {
    const secret = path.join(work, "agent.key");
    fs.writeFileSync(secret, "TOPSECRET\n");
    // A relative link that climbs (node-tar refuses absolute link targets; unpackPlain keeps them).
    for (const link of [secret, `${"../".repeat(30)}${secret.slice(1)}`])
      for (const [source, dir] of bothWays(tarOf({ Dockerfile: { link } }))) {
        const err = await prepareContext(source, dir, "Dockerfile").catch((e: Error) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).not.toContain("TOPSECRET");
        // node-tar (a context that came as a file) refuses such links itself; the inline path reads inside the context.
        if (typeof source !== "string") expect(isInvalidArgument(err) ? (err as Error).message : "").toMatch(/no Dockerfile/);
      }
  });

  it("follows a Dockerfile symlink that stays inside the context", async () => {
    for (const [source, dir] of bothWays(tarOf({ "docker/Dockerfile.dev": "FROM scratch\n", Dockerfile: { link: "docker/Dockerfile.dev" } }))) {
      expect((await prepareContext(source, dir, "Dockerfile")).dockerfile).toBe("FROM scratch\n");
    }
  });

  it("refuses a .dockerignore that is a directory, and one over 1 MiB, by name", async () => {
    const big = tarOf({ Dockerfile: "FROM scratch\n", ".dockerignore": "x".repeat(CONTEXT_LIMITS.textFile + 1) });
    const file = path.join(work, "big.tar");
    fs.writeFileSync(file, big);
    await expect(prepareContext(file, path.join(work, "big"), "Dockerfile")).rejects.toThrow(/\.dockerignore.*larger than 1 MiB/);
    for (const [source, dir] of bothWays(tarOf({ Dockerfile: "FROM scratch\n", ".dockerignore/x": "x" }))) {
      await expect(prepareContext(source, dir, "Dockerfile")).rejects.toThrow(/\.dockerignore.*not a regular file \(it is a directory\)/);
    }
  });

  it("a .dockerignore or Dockerfile symlinked to /dev/zero is not read", async () => {
    const zero = `${"../".repeat(30)}dev/zero`;
    for (const [source, dir] of bothWays(tarOf({ Dockerfile: "FROM scratch\n", ".dockerignore": { link: zero } }))) {
      // Inside the context /dev/zero does not exist: as if there were no .dockerignore (node-tar refuses the link).
      if (typeof source === "string") await expect(prepareContext(source, dir, "Dockerfile")).rejects.toThrow(/linkpath escapes/);
      else expect((await prepareContext(source, dir, "Dockerfile")).dockerfile).toBe("FROM scratch\n");
    }
    for (const [source, dir] of bothWays(tarOf({ Dockerfile: { link: zero } }))) {
      await expect(prepareContext(source, dir, "Dockerfile")).rejects.toThrow(typeof source === "string" ? /linkpath escapes/ : /no Dockerfile/);
    }
  });

  it("refuses a tree nested deeper than the limit before writing it, naming the limit and .dockerignore", async () => {
    const members: Record<string, string> = { Dockerfile: "FROM scratch\n" };
    for (let i = 1; i <= CONTEXT_LIMITS.depth + 5; i++) members[`${"d/".repeat(i)}f`] = "x";
    for (const [source, dir] of bothWays(tarOf(members))) {
      const err = await prepareContext(source, dir, "Dockerfile").catch((e: Error) => e);
      expect(err).toBeInstanceOf(ContextLimitExceeded);
      expect((err as Error).message).toMatch(new RegExp(`more than ${CONTEXT_LIMITS.depth} deep.*\\.dockerignore`));
      expect(fs.existsSync(path.join(dir, ...Array<string>(CONTEXT_LIMITS.depth + 1).fill("d")))).toBe(false);
    }
  });

  it("extracts ADD's archive within the same limits, naming it", async () => {
    const members: Record<string, string> = {};
    for (let i = 1; i <= CONTEXT_LIMITS.depth + 5; i++) members[`${"d/".repeat(i)}f`] = "x";
    const file = path.join(work, "add-deep.tar");
    fs.writeFileSync(file, tarOf(members));
    await expect(extractArchive(file, path.join(work, "add-deep"))).rejects.toThrow(/the ADD archive nests directories more than/);
    fs.writeFileSync(file, tarOf({ "a/b": "x" }));
    await extractArchive(file, path.join(work, "add-ok"));
    expect(fs.readFileSync(path.join(work, "add-ok/a/b"), "utf8")).toBe("x");
  });

  it("refuses a compressed context that expands too far", async () => {
    const size = CONTEXT_LIMITS.ratioFloor + (1 << 20);
    const gz = execFileSync("sh", ["-c", `d=$(mktemp -d) && echo 'FROM scratch' > $d/Dockerfile && head -c ${size} /dev/zero > $d/zeros && tar -czf - -C $d . && rm -r $d`], { maxBuffer: 1 << 30 });
    const file = path.join(work, "bomb.tar.gz");
    fs.writeFileSync(file, gz);
    await expect(prepareContext(file, path.join(work, "bomb"), "Dockerfile")).rejects.toThrow(/expands more than 100 times/);
  });
});
