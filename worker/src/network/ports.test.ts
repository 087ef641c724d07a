import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { publish } from "./ports.js";
import { running } from "./restore.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-ports-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stand-in proxy binary: a shell script that writes its pid, then `body`. */
function proxy(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\necho $$ > ${dir}/${name}.pid\n${body}\n`, { mode: 0o755 });
  return file;
}

describe("publish", () => {
  const owner = { hostId: "h", containerId: "c" };
  const mapping = [{ protocol: "tcp" as const, hostPort: 8080, containerPort: 80 }];

  it("gives up on a proxy that never reports, with a message, and stops it (the network's lock is not held for ever)", async () => {
    const bin = proxy("silent", "exec sleep 600");
    await expect(publish(mapping, "10.0.0.2", owner, path.join(dir, "log"), { binary: bin, reportMs: 300 })).rejects.toThrow(/did not report its ports within 0.3 s; it was stopped/);
    const pid = Number(fs.readFileSync(`${bin}.pid`, "utf8"));
    for (let i = 0; i < 100 && (await running(pid)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await running(pid)).toBe(false);
  });

  it("reads the ports a proxy reports", async () => {
    const bin = proxy("ok", `echo '{"ports":[41234]}'; exec 1>&-; exec sleep 600`);
    const p = await publish(mapping, "10.0.0.2", owner, path.join(dir, "log"), { binary: bin, reportMs: 5000 });
    try {
      expect(p.ports).toEqual([{ ...mapping[0], hostPort: 41234 }]);
    } finally {
      process.kill(p.pid, "SIGKILL");
    }
  });

  it("says which port was taken when the proxy could not bind it", async () => {
    const bin = proxy("taken", `echo '{"error":{"index":0,"code":"EADDRINUSE","message":"in use"}}'; exit 1`);
    await expect(publish(mapping, "10.0.0.2", owner, path.join(dir, "log"), { binary: bin, reportMs: 5000 })).rejects.toThrow("Bind for 0.0.0.0:8080 failed: port is already allocated");
  });

  it("takes the report at its newline, while another process still holds the proxy's stdout open", async () => {
    // A child that keeps stdout open (as a copy of the pipe held elsewhere would), then the report and an exit.
    const bin = proxy("held", `sleep 600 & echo $! > ${dir}/held.child; echo '{"error":{"index":0,"code":"EADDRINUSE","message":"in use"}}'; exit 1`);
    try {
      await expect(publish([{ protocol: "tcp", hostPort: 8081, containerPort: 80 }], "10.0.0.2", owner, path.join(dir, "log"), { binary: bin, reportMs: 5000 })).rejects.toThrow("Bind for 0.0.0.0:8081 failed: port is already allocated");
    } finally {
      process.kill(Number(fs.readFileSync(`${dir}/held.child`, "utf8")), "SIGKILL");
    }
  });
});
