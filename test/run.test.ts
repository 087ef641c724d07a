import fs from "node:fs";
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder, startInstance, type Instance } from "./harness.js";

// The walking skeleton end to end: real CLI → tRPC → BullMQ on Redis → worker → native runtime.
let b: Instance;
beforeAll(async () => {
  b = await startInstance();
});
afterAll(async () => {
  if (!b) return;
  // Ctrl-C with containers still running: stop() fails if any mount, container process or
  // Redis of this instance survives it.
  const d = await b.berth(["run", "-d", "busybox", "sleep", "1000"]);
  expect(d.code).toBe(0);
  // `run -d` returns once the container is queued: wait (bounded) until its process exists.
  for (let i = 0; i < 300 && processesUnder(b.home).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(processesUnder(b.home).length).toBeGreaterThan(0);
  await b.stop();
});

describe("berth run", () => {
  it("prints the command's output and exits 0", async () => {
    const r = await b.berth(["run", "busybox", "echo", "hello"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("hello\n");
    expect(r.code).toBe(0);
  });

  it("exits with the container's exit code", async () => {
    const r = await b.berth(["run", "busybox", "sh", "-c", "exit 3"]);
    expect(r.code).toBe(3);
  });

  it("keeps stdout and stderr apart", async () => {
    const r = await b.berth(["run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2"]);
    expect(r.stdout).toBe("out\n");
    expect(r.stderr).toBe("err\n");
    expect(r.code).toBe(0);
  });

  it("preserves the order of 1,000 lines", async () => {
    const r = await b.berth(["run", "--rm", "busybox", "seq", "1000"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toEqual(Array.from({ length: 1000 }, (_, i) => String(i + 1)));
  });

  it("uses the image's default command when none is given", async () => {
    // busybox's CMD is ["sh"]; with stdin at /dev/null the shell exits 0 at once.
    const r = await b.berth(["run", "--rm", "busybox"]);
    expect(r.code).toBe(0);
  });

  it("reports a missing command as Docker does (exit 127)", async () => {
    const r = await b.berth(["run", "--rm", "busybox", "no-such-command"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain("no-such-command");
    expect(r.stderr).toMatch(/not found/);
  });

  it("refuses an unknown image with one clear line (after Docker's line saying it tried to pull it)", async () => {
    const r = await b.berth(["run", "no-such-image"], { timeoutMs: 60_000 });
    expect(r.code).toBe(125);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe("Unable to find image 'no-such-image:latest' locally");
    expect(lines[1]).toMatch(/^berth: No such image: no-such-image:latest; pulling it failed: /);
  });
});

describe("isolation", () => {
  it("runs the command as PID 1 of its own pid namespace", async () => {
    const r = await b.berth(["run", "--rm", "busybox", "sh", "-c", "echo $$"]);
    expect(r.stdout).toBe("1\n");
  });

  it("hides host processes", async () => {
    const r = await b.berth(["run", "--rm", "busybox", "sh", "-c", "ls -d /proc/[0-9]*"]);
    const pids = r.stdout.trim().split("\n").map((p) => Number(p.replace("/proc/", "")));
    expect(pids).toContain(1);
    // Only the shell and ls exist in there; the host has hundreds.
    expect(pids.length).toBeLessThanOrEqual(3);
    expect(pids.every((p) => p < 10)).toBe(true);
  });

  it("has its own hostname", async () => {
    const r = await b.berth(["run", "--rm", "busybox", "hostname"]);
    const name = r.stdout.trim();
    expect(name).toMatch(/^[0-9a-f]{12}$/);
    expect(name).not.toBe(os.hostname());
  });

  it("sees only its own interfaces: lo, and eth0 on the default bridge (none of the host's)", async () => {
    const r = await b.berth(["run", "--rm", "busybox", "ls", "/sys/class/net"]);
    expect(r.stdout.trim().split(/\s+/).sort()).toEqual(["eth0", "lo"]);
  });

  it("keeps its writes to itself", async () => {
    const marker = `/berth-marker-${process.pid}`;
    const w = await b.berth(["run", "--rm", "busybox", "sh", "-c", `echo mine > ${marker} && cat ${marker}`]);
    expect(w.stdout).toBe("mine\n");
    expect(fs.existsSync(marker)).toBe(false);
    const other = await b.berth(["run", "--rm", "busybox", "cat", marker]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain("No such file");
  });
});

describe("ps, images, logs", () => {
  it("lists images and containers, and prints a finished container's logs", async () => {
    const images = await b.berth(["images"]);
    expect(images.code).toBe(0);
    expect(images.stdout).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE/);
    expect(images.stdout).toMatch(/\nbusybox\s+latest\s+[0-9a-f]{12}\s/);

    const r = await b.berth(["run", "--name", "greeter", "busybox", "sh", "-c", "echo one; echo two"]);
    expect(r.code).toBe(0);
    const ps = await b.berth(["ps", "-a"]);
    expect(ps.stdout).toMatch(/greeter/);
    expect(ps.stdout).toMatch(/Exited \(0\)/);
    const running = await b.berth(["ps"]);
    expect(running.stdout).not.toMatch(/greeter/);

    const logs = await b.berth(["logs", "greeter"]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toBe("one\ntwo\n");
    // The durable copy is Docker's json-file format.
    const id = (await b.berth(["ps", "-a", "-q"])).stdout.split("\n")[0]!;
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    const dir = fs.readdirSync(`${b.home}/containers`).find((d) => d.startsWith(id))!;
    const jsonl = fs.readFileSync(`${b.home}/containers/${dir}/log.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(jsonl.map((e) => [e.log, e.stream])).toEqual([["one\n", "stdout"], ["two\n", "stdout"]]);
  });

  it("says so, in one line, for an unknown container", async () => {
    const r = await b.berth(["logs", "no-such-container"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("berth: No such container: no-such-container");
  });
});
