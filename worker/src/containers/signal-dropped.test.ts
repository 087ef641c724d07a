import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { signalDropped } from "./signal-dropped.js";

// Real pid namespaces (unshare, as root): the process under test is PID 1 of its own, as a container's is.
const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill("SIGKILL");
});

/** PID 1 of a new pid namespace running `script`, once it has printed "ready". */
async function nsInit(script: string): Promise<number> {
  const c = spawn("unshare", ["--pid", "--fork", "--kill-child", "sh", "-c", `${script}`], { stdio: ["ignore", "pipe", "inherit"] });
  started.push(c);
  await new Promise<void>((resolve, reject) => {
    c.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    c.once("exit", (code) => reject(new Error(`unshare exited (${code})`)));
  });
  const child = readFileSync(`/proc/${c.pid}/task/${c.pid}/children`, "utf8").trim().split(/\s+/)[0];
  return Number(child);
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe("signalDropped", () => {
  it("is true for a namespace's PID 1 with no handler: SIGTERM never reaches it", async () => {
    // exec: a shell looping over `sleep` blocks every signal while it forks, and a blocked signal
    // is kept pending, not dropped (signalDropped rightly says false then).
    const pid = await nsInit("echo ready; exec sleep 1000");
    await until(() => readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "sleep");
    process.kill(pid, "SIGTERM");
    expect(signalDropped(pid, 15)).toBe(true);
    // It is still there: the kernel dropped the signal.
    expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/^State:\s+[SR]/m);
  });

  it("is false for a PID 1 that traps the signal (it gets its grace period), and for SIGKILL", async () => {
    const pid = await nsInit("trap 'sleep 5; exit 0' TERM; echo ready; while true; do sleep 0.1; done");
    process.kill(pid, "SIGTERM");
    expect(signalDropped(pid, 15)).toBe(false);
    expect(signalDropped(pid, 9)).toBe(false);
  });

  it("is false for a process that is not a namespace's init (the default action applies there) and for one that is gone", () => {
    expect(signalDropped(process.pid, 15)).toBe(false);
    expect(signalDropped(2 ** 22 + 1, 15)).toBe(false);
  });
});
