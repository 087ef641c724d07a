import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BINARY = fileURLToPath(new URL("../../../native/build/Release/berth-edge-fast", import.meta.url));

/**
 * The fast path's thread count once it listens, started with `extra` config lines: waited for
 * until it reaches `expected` (its loops start after it says it listens; a loaded host is slow),
 * then read again a moment later, so more threads than expected show too.
 */
async function threadsOf(extra: string[], expected: number): Promise<number> {
  const child = spawn(BINARY, [], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("R\n") && resolve());
      child.once("exit", (code) => reject(new Error(`berth-edge-fast exited (${code}) before it listened`)));
      child.once("error", reject);
    });
    const config = ["listen-host 127.0.0.1", "listen-port 0", `node ${os.tmpdir()}/berth-fast-loops-${process.pid}.sock`, `grant-header x-berth-test-grant-0123456789`, ...extra];
    child.stdin.write(config.join("\n") + "\n\n");
    await ready;
    const count = () => fs.readdirSync(`/proc/${child.pid}/task`).length;
    for (let i = 0; i < 500 && count() < expected; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    return count();
  } finally {
    child.kill("SIGKILL");
  }
}

describe("the fast path's event loops", () => {
  it("are as many as asked (BERTH_EDGE_LOOPS), and half the cores (at least one) unless asked", async () => {
    // Each loop is a thread, plus the activity reporter and the command reader.
    expect(await threadsOf(["loops 3"], 3 + 2)).toBe(3 + 2);
    const half = Math.max(1, Math.floor(os.availableParallelism() / 2));
    expect(await threadsOf([], half + 2)).toBe(half + 2);
  });
});
