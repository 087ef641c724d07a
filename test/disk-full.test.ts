import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";

// BERTH_HOME on a small loop-mounted ext4 that the test fills to the last block: the answers say
// "no space left on BERTH_HOME", a chatty container's log says how many lines it dropped, and
// once space is freed everything works again.
let base: string;
let mnt: string;
let b: Instance | undefined;

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "berth-disk-full-"));
  const image = path.join(base, "home.img");
  mnt = path.join(base, "mnt");
  fs.mkdirSync(mnt);
  fs.closeSync(fs.openSync(image, "w"));
  fs.truncateSync(image, 96 * 1024 * 1024);
  // -m 0: no blocks reserved for root (the test and Berth run as root and would use them).
  execFileSync("mkfs.ext4", ["-q", "-F", "-m", "0", image]);
  execFileSync("mount", ["-o", "loop", image, mnt]);
  const home = path.join(mnt, "home");
  fs.mkdirSync(home);
  b = await startInstance({ home });
}, 180_000);

afterAll(async () => {
  try {
    fs.rmSync(path.join(mnt, "filler"), { force: true });
    await b?.stop();
  } finally {
    execFileSync("umount", [mnt]);
    fs.rmSync(base, { recursive: true, force: true });
  }
}, 120_000);

/** Fills the file system to its last block. */
function fill(): string {
  const filler = path.join(mnt, "filler");
  const fd = fs.openSync(filler, "w");
  const chunk = Buffer.alloc(1024 * 1024);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  }
  // The last partial megabyte too.
  try {
    for (;;) fs.writeSync(fd, chunk, 0, 4096);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

async function eventually<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

it("says 'no space left on BERTH_HOME', marks dropped log lines, and recovers once space is freed", async () => {
  const inst = b!;
  const chatty = await inst.berth(["run", "-d", "--name", "chatty", "busybox", "sh", "-c", "i=0; while true; do i=$((i+1)); echo chatty line $i; usleep 2000; done"]);
  expect(chatty.code, chatty.stderr).toBe(0);
  await eventually("chatty's first lines", async () => ((await inst.berth(["logs", "--tail", "1", "chatty"])).stdout.includes("chatty line") ? true : undefined));

  const filler = fill();
  try {
    const attached = await inst.berth(["run", "--rm", "busybox", "echo", "hi"], { timeoutMs: 90_000 });
    expect(attached.code).not.toBe(0);
    expect(attached.stderr).toContain("no space left on BERTH_HOME");
    expect(attached.stderr).not.toMatch(/internal error|unknown error/i);
  } finally {
    fs.rmSync(filler);
  }

  // Writes work again: the chatty container's log says how many lines it could not keep.
  const marker = await eventually("the drop marker in chatty's log", async () => {
    const logs = await inst.berth(["logs", "chatty"], { timeoutMs: 90_000 });
    return /\[berth\] (\d+) log lines? dropped: no space left on BERTH_HOME/.exec(logs.stdout + logs.stderr) ?? undefined;
  });
  expect(Number(marker[1])).toBeGreaterThan(0);

  const ok = await eventually("a run after space was freed", async () => {
    const r = await inst.berth(["run", "--rm", "busybox", "echo", "back"], { timeoutMs: 90_000 });
    return r.code === 0 ? r : undefined;
  });
  expect(ok.stdout).toBe("back\n");
  expect((await inst.berth(["rm", "-f", "chatty"])).code).toBe(0);
}, 400_000);
