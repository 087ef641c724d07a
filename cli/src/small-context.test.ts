/**
 * The in-memory packer must write what node-tar's portable mode writes, byte for byte (the
 * server's cache keys and unpacked modes depend on it), and leave anything it would treat
 * differently to node-tar.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { create } from "tar/create";
import { afterAll, expect, it } from "vitest";
import { contextFiles } from "./build-context.js";
import { SMALL_CONTEXT_BYTES, smallContextTar } from "./small-context.js";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-small-context-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function nodeTar(dir: string, files: string[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of create({ cwd: dir, noDirRecurse: true, portable: true }, files) as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

it("writes node-tar's portable archive byte for byte: files, directories, symlinks, long names, odd modes", async () => {
  const dir = path.join(work, "varied");
  const long = "n".repeat(130);
  fs.mkdirSync(path.join(dir, "sub", "deeper"), { recursive: true });
  fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
  fs.writeFileSync(path.join(dir, "empty"), "");
  fs.writeFileSync(path.join(dir, "exactly-512"), Buffer.alloc(512, 0x61));
  fs.writeFileSync(path.join(dir, "sub", "b.bin"), Buffer.alloc(700, 0x62));
  fs.writeFileSync(path.join(dir, "sub", "deeper", long), "long name\n");
  fs.symlinkSync("empty", path.join(dir, "link"));
  fs.symlinkSync("L".repeat(120), path.join(dir, "long-target"));
  fs.chmodSync(path.join(dir, "empty"), 0o664);
  fs.chmodSync(path.join(dir, "exactly-512"), 0o4755);
  fs.chmodSync(path.join(dir, "sub"), 0o700);
  fs.chmodSync(path.join(dir, "sub", "b.bin"), 0o400);
  const files = contextFiles(dir, ["Dockerfile"]);
  expect(files).toContain(`sub/deeper/${long}`);
  const mine = smallContextTar(dir, files);
  expect(mine).toBeDefined();
  expect(mine!.equals(await nodeTar(dir, files))).toBe(true);
  // And GNU tar reads it back as the same tree.
  const listed = execFileSync("tar", ["-tvf", "-"], { input: mine }).toString();
  expect(listed).toContain(`sub/deeper/${long}`);
  expect(listed).toMatch(/^l\S+ .* link -> empty$/m);
  expect(listed).toMatch(/^-rwsr-xr-x .* exactly-512$/m);
});

it("leaves hard links, special files and large contexts to node-tar", () => {
  const dir = path.join(work, "others");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "a"), "a");
  fs.linkSync(path.join(dir, "a"), path.join(dir, "b"));
  expect(smallContextTar(dir, ["a", "b"])).toBeUndefined();
  fs.rmSync(path.join(dir, "b"));
  expect(smallContextTar(dir, ["a"])).toBeDefined();

  execFileSync("mkfifo", [path.join(dir, "fifo")]);
  expect(smallContextTar(dir, ["a", "fifo"])).toBeUndefined();

  fs.writeFileSync(path.join(dir, "big"), Buffer.alloc(SMALL_CONTEXT_BYTES + 1));
  expect(smallContextTar(dir, ["a", "big"])).toBeUndefined();
});
