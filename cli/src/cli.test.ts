/**
 * The built CLI (cli/bin/berth.js, built by `npm test`'s setup) as a process, where no server
 * is needed: a closed port, missing credentials. Everything that needs a server runs against a
 * real Berth in test/cli.test.ts.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const cliDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(cliDir, "bin", "berth.js");

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}
function berth(args: string[], env: Record<string, string | undefined>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BERTH_")));
    const child = spawn(process.execPath, [bin, ...args], { env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const emptyHome = mkdtempSync(path.join(tmpdir(), "berth-cli-test-"));

afterAll(() => rmSync(emptyHome, { recursive: true, force: true }));

describe("server down", () => {
  it.each([
    [["ps"], 1],
    [["images"], 1],
    [["logs", "-f", "web"], 1],
    [["run", "busybox", "true"], 125],
  ])("berth %j prints one line and exits %d", async (args, exit) => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await berth(args, { BERTH_URL: url, BERTH_TOKEN: "x", BERTH_HOME: emptyHome });
    expect(r.stderr).toBe(`berth: cannot connect to the Berth server at ${url}: is it running? (start it with: npm start)\n`);
    expect(r.stdout).toBe("");
    expect(r.code).toBe(exit);
  });
});

describe("credentials", () => {
  it("without BERTH_TOKEN or a readable admin.token, says how to get them", async () => {
    const r = await berth(["ps"], { BERTH_URL: "http://127.0.0.1:9", BERTH_HOME: emptyHome, HOME: emptyHome, XDG_CONFIG_HOME: undefined });
    expect(r.stderr).toBe(
      "berth: no credentials: set BERTH_TOKEN, run `berth login`, or run as root on the Berth host (reads $BERTH_HOME/admin.token)\n",
    );
    expect(r.code).toBe(1);
  });
});

