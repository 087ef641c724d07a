import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, expect, it } from "vitest";
import { isInvalidArgument } from "@berth/core";
import { TarIndex } from "./tar-index.js";
import { TarFileWriter } from "./tar-writer.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-tar-"));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

const long = `${"d".repeat(80)}/${"e".repeat(80)}/${"f".repeat(60)}.txt`;

for (const format of ["gnu", "pax", "ustar"]) {
  it(`indexes what GNU tar writes (--format=${format}), long names included`, async () => {
    const src = path.join(dir, "src");
    await fs.mkdir(path.join(src, path.dirname(long)), { recursive: true });
    await fs.writeFile(path.join(src, long), "deep");
    await fs.writeFile(path.join(src, "short"), "x".repeat(1000));
    await fs.symlink("short", path.join(src, "link"));
    const file = path.join(dir, `${format}.tar`);
    const names = format === "ustar" ? ["short", "link"] : ["short", "link", long];
    execFileSync("tar", [`--format=${format}`, "-C", src, "-cf", file, ...names]);
    const idx = await TarIndex.open(file);
    expect((await idx.read("short")).toString()).toBe("x".repeat(1000));
    expect((await idx.read("./link")).toString()).toBe("x".repeat(1000)); // followed
    if (format !== "ustar") expect((await idx.read(long)).toString()).toBe("deep");
  });
}

it("refuses a truncated archive and garbage", async () => {
  const file = path.join(dir, "t.tar");
  execFileSync("sh", ["-c", `head -c 1000000 /dev/zero > ${dir}/big && tar -C ${dir} -cf ${file} big && truncate -s 600000 ${file}`]);
  expect(isInvalidArgument(await TarIndex.open(file).catch((e: unknown) => e))).toBe(true);
  await fs.writeFile(file, "not a tar".repeat(100));
  expect(isInvalidArgument(await TarIndex.open(file).catch((e: unknown) => e))).toBe(true);
});

it("the writer's tars read back with GNU tar: long names, streamed members of unknown size, links", async () => {
  const file = path.join(dir, "w.tar");
  const w = await TarFileWriter.create(file);
  await w.addDirectory("dir", { mode: 0o750 });
  await w.addBuffer(long, "deep");
  const big = Buffer.alloc(3 << 20, 7);
  const size = await w.addStream("dir/streamed", Readable.from([big.subarray(0, 1 << 20), big.subarray(1 << 20)]));
  expect(size).toBe(big.length);
  await w.addLink("dir/sym", "SymbolicLink", "/somewhere/else");
  await w.addLink("dir/hard", "Link", "dir/streamed");
  await w.addSpecial("dir/fifo", "FIFO");
  expect(await w.finish()).toBe((await fs.stat(file)).size);
  const listing = execFileSync("tar", ["-tvf", file], { encoding: "utf8" });
  expect(listing).toContain(long);
  expect(listing).toMatch(/dir\/streamed/);
  expect(listing).toMatch(/dir\/sym -> \/somewhere\/else/);
  expect(listing).toMatch(/dir\/hard link to dir\/streamed/);
  const out = path.join(dir, "x");
  await fs.mkdir(out);
  execFileSync("tar", ["-C", out, "-xf", file]);
  expect((await fs.readFile(path.join(out, "dir/streamed"))).equals(big)).toBe(true);
  expect(await fs.readFile(path.join(out, long), "utf8")).toBe("deep");
  expect((await fs.stat(path.join(out, "dir"))).mode & 0o777).toBe(0o750);
});
