import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";

// CVE-2024-21626 against a real instance: while `berth cp` walks a stopped container's files,
// the worker holds directory fds, and every container process is cloned from the worker. A
// working directory of /proc/self/fd/N must never land on one of them.
let b: Instance;
let work: string;
beforeAll(async () => {
  b = await startInstance();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-cwd-escape-"));
}, 120_000);
afterAll(async () => {
  if (b) await b.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function ok(args: string[]): Promise<string> {
  const r = await b.berth(args);
  expect(r.stderr, `berth ${args.join(" ")}`).toBe("");
  expect(r.code, `berth ${args.join(" ")}`).toBe(0);
  return r.stdout;
}

async function untilRunning(name: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await b.berth(["exec", name, "true"])).code === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`container ${name} never ran`);
}

describe("the working directory cannot lead to the host", () => {
  it("exec -w and run -w /proc/self/fd/N, raced against a running cp, never read or write a host file", async () => {
    const hostDir = path.join(work, "host");
    fs.mkdirSync(hostDir);
    const marker = path.join(hostDir, "marker");
    fs.writeFileSync(marker, "host marker\n");
    // Up from the cwd (through /proc/self/cwd, as in the advisory, and plain ..), then down to the marker.
    const up = "P=/proc/self/cwd; for i in $(seq 300); do P=$P/..; done";
    const script = `${up}; cat $P${marker}; echo pwned > $P${hostDir}/written; cat ${"../".repeat(40)}${marker.slice(1)}; echo pwned > written`;

    // A stopped container with a wide tree, so that each cp keeps the worker walking directories.
    await ok(["run", "--name", "tree", "busybox", "sh", "-c", "for i in $(seq 150); do mkdir -p /data/d$i/e/f && for j in 1 2 3 4; do echo $i > /data/d$i/e/f/$j; done; done"]);
    await ok(["run", "-d", "--name", "a1", "busybox", "sleep", "600"]);
    await untilRunning("a1");

    let copying = true;
    let copies = 0;
    const copier = (async () => {
      while (copying) {
        const into = fs.mkdtempSync(path.join(work, "cp-"));
        await ok(["cp", "tree:/data", into]);
        fs.rmSync(into, { recursive: true, force: true });
        copies++;
      }
    })();
    const attempts: { how: string; code: number | null; stdout: string; stderr: string }[] = [];
    try {
      for (let n = 3; n <= 64; n++) {
        const r = await b.berth(["exec", "-w", `/proc/self/fd/${n}`, "a1", "sh", "-c", script]);
        attempts.push({ how: `exec -w /proc/self/fd/${n}`, ...r });
      }
      for (let n = 8; n <= 64; n += 8) {
        const r = await b.berth(["run", "--rm", "-w", `/proc/self/fd/${n}`, "busybox", "sh", "-c", script]);
        attempts.push({ how: `run -w /proc/self/fd/${n}`, ...r });
      }
    } finally {
      copying = false;
      await copier;
    }
    expect(copies).toBeGreaterThan(0);
    for (const a of attempts) {
      expect(a.stdout, a.how).not.toContain("host marker");
      // Refused before the command runs: the cwd is not a directory inside the container.
      expect(a.code, a.how).not.toBe(0);
      expect(a.stderr, a.how).toMatch(/cwd/);
    }
    expect(fs.readdirSync(hostDir)).toEqual(["marker"]);
    expect(fs.readFileSync(marker, "utf8")).toBe("host marker\n");
  }, 600_000);
});
