import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { describe, expect, it } from "vitest";
import { firstFile, writeTar } from "./tar";

describe("the browser's tar", () => {
  it("writes an archive node-tar reads back, long names included", async () => {
    const long = `${"deep/".repeat(30)}Dockerfile`;
    const archive = writeTar([
      { path: "Dockerfile", data: new TextEncoder().encode("FROM busybox\n") },
      { path: long, data: new TextEncoder().encode("x".repeat(1000)) },
      { path: "empty", data: new Uint8Array(0) },
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tar-test-"));
    try {
      const file = path.join(dir, "a.tar");
      fs.writeFileSync(file, archive);
      const out = path.join(dir, "out");
      fs.mkdirSync(out);
      await tar.x({ file, cwd: out, strict: true });
      expect(fs.readFileSync(path.join(out, "Dockerfile"), "utf8")).toBe("FROM busybox\n");
      expect(fs.readFileSync(path.join(out, long), "utf8")).toBe("x".repeat(1000));
      expect(fs.statSync(path.join(out, "empty")).size).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads the first regular file of an archive node-tar wrote (a PAX long name too)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tar-test-"));
    try {
      const name = `${"n".repeat(120)}.txt`;
      fs.writeFileSync(path.join(dir, name), "hello\n");
      const file = path.join(dir, "b.tar");
      await tar.c({ file, cwd: dir, portable: true }, [name]);
      const f = firstFile(new Uint8Array(fs.readFileSync(file)));
      expect(f?.name).toBe(name);
      expect(new TextDecoder().decode(f?.data)).toBe("hello\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds no file in an archive of an empty directory", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tar-test-"));
    try {
      fs.mkdirSync(path.join(dir, "d"));
      const file = path.join(dir, "c.tar");
      await tar.c({ file, cwd: dir }, ["d"]);
      expect(firstFile(new Uint8Array(fs.readFileSync(file)))).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
