import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BINARY = fileURLToPath(new URL("../../../native/build/Release/berth-edge-fast", import.meta.url));

/** The fast path's thread count once it listens, started with `extra` config lines. */
async function threadsOf(extra: string[]): Promise<number> {
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
    // Loop 1 runs on the main thread; the others start before it does, with the reporter and the
    // command reader: settle until the count holds.
    let n = 0;
    for (let i = 0; i < 50; i++) {
      const now = fs.readdirSync(`/proc/${child.pid}/task`).length;
      if (now === n) break;
      n = now;
      await new Promise((r) => setTimeout(r, 20));
    }
    return n;
  } finally {
    child.kill("SIGKILL");
  }
}

describe("the fast path's event loops", () => {
  it("are as many as asked (BERTH_EDGE_LOOPS), and half the cores (at least one) unless asked", async () => {
    // Each loop is a thread, plus the activity reporter and the command reader.
    expect(await threadsOf(["loops 3"])).toBe(3 + 2);
    expect(await threadsOf([])).toBe(Math.max(1, Math.floor(os.availableParallelism() / 2)) + 2);
  });
});
