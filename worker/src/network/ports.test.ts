import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { proxiesOf, publish } from "./ports.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-ports-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A stand-in proxy binary: a shell script that runs `body`. Tests that expect a
 * report keep the real 30 s bound: on a loaded CI host a shell may take seconds to get that far.
 */
function proxy(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

describe("publish", () => {
  const owner = { hostId: "h", containerId: "c" };
  const mapping = [{ protocol: "tcp" as const, hostPort: 8080, containerPort: 80 }];

  it("gives up on a proxy that never reports, with a message, and stops it (the network's lock is not held for ever)", async () => {
    // A shell that stays (no exec), so its command line keeps the proxy's marker and owner.
    const bin = proxy("silent", "while :; do sleep 1; done");
    const silent = { hostId: `ports-test-${process.pid}`, containerId: "c" };
    await expect(publish(mapping, "10.0.0.2", silent, path.join(dir, "log"), { binary: bin, reportMs: 300 })).rejects.toThrow(/did not report its ports within 0.3 s; it was stopped/);
    for (let i = 0; i < 100 && (await proxiesOf(silent.hostId)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await proxiesOf(silent.hostId)).toEqual([]);
  });

  it("reads the ports a proxy reports", async () => {
    const bin = proxy("ok", `echo '{"ports":[41234]}'; exec 1>&-; exec sleep 600`);
    const p = await publish(mapping, "10.0.0.2", owner, path.join(dir, "log"), { binary: bin });
    try {
      expect(p.ports).toEqual([{ ...mapping[0], hostPort: 41234 }]);
    } finally {
      process.kill(p.pid, "SIGKILL");
    }
  });

  it("says which port was taken when the proxy could not bind it", async () => {
    const bin = proxy("taken", `echo '{"error":{"index":0,"code":"EADDRINUSE","message":"in use"}}'; exit 1`);
    await expect(publish(mapping, "10.0.0.2", owner, path.join(dir, "log"), { binary: bin })).rejects.toThrow("Bind for 0.0.0.0:8080 failed: port is already allocated");
  });

  it("reads the report of a proxy that exits at once, while the worker's file threads are busy", async () => {
    // Node drops a child's unread output when it sees the exit: the report must be read from the
    // spawn on, not after the log file's close, which waits for a free thread (it did in CI).
    const bin = proxy("quick", `echo '{"error":{"index":0,"code":"EADDRINUSE","message":"in use"}}'; exit 1`);
    let busy = true;
    const hog = () => {
      if (busy) crypto.pbkdf2("berth", "salt", 100_000, 32, "sha256", hog);
    };
    for (let i = 0; i < 2 * Number(process.env.UV_THREADPOOL_SIZE ?? 4); i++) hog();
    try {
      await expect(publish(mapping, "10.0.0.2", owner, path.join(dir, "log"), { binary: bin })).rejects.toThrow("Bind for 0.0.0.0:8080 failed: port is already allocated");
    } finally {
      busy = false;
    }
  });

  it("takes the report at its newline, while another process still holds the proxy's stdout open", async () => {
    // A child that keeps stdout open (as a copy of the pipe held elsewhere would), then the report and an exit.
    const bin = proxy("held", `sleep 600 & echo $! > ${dir}/held.child; echo '{"error":{"index":0,"code":"EADDRINUSE","message":"in use"}}'; exit 1`);
    try {
      await expect(publish([{ protocol: "tcp", hostPort: 8081, containerPort: 80 }], "10.0.0.2", owner, path.join(dir, "log"), { binary: bin })).rejects.toThrow("Bind for 0.0.0.0:8081 failed: port is already allocated");
    } finally {
      process.kill(Number(fs.readFileSync(`${dir}/held.child`, "utf8")), "SIGKILL");
    }
  });
});
