import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT, run, startInstance, type Instance } from "./harness.js";

// CLI behaviour a user relies on, against a real Berth (no stand-in server).
let b: Instance;
beforeAll(async () => {
  b = await startInstance();
});
afterAll(async () => {
  await b?.stop();
});

it("passes flags after IMAGE to the container", async () => {
  const r = await b.berth(["run", "--rm", "busybox", "ls", "-d", "/bin"]);
  expect(r).toMatchObject({ code: 0, stdout: "/bin\n" });
});

it("keeps blank and indented lines exactly", async () => {
  const r = await b.berth(["run", "--rm", "busybox", "sh", "-c", "echo; echo '  spaced  '; printf 'no newline'"]);
  expect(r.stdout).toBe("\n  spaced  \nno newline\n");
});

it("delivers 20,000 lines in order through a pipe", async () => {
  const r = await b.berth(["run", "--rm", "busybox", "seq", "20000"], { timeoutMs: 60_000 });
  expect(r.code).toBe(0);
  const lines = r.stdout.trimEnd().split("\n");
  expect(lines.length).toBe(20000);
  expect(lines.every((l, i) => l === String(i + 1))).toBe(true);
});

it("run -d prints the id, returns at once, and logs -f follows the container to its end", async () => {
  const d = await b.berth(["run", "-d", "--name", "ticker", "busybox", "sh", "-c", "sleep 1; echo tick; exit 4"]);
  expect(d.code).toBe(0);
  expect(d.stdout).toMatch(/^[0-9a-f]{64}\n$/);
  const f = await b.berth(["logs", "-f", "ticker"]);
  expect(f).toMatchObject({ code: 0, stdout: "tick\n" });
  const ps = await b.berth(["ps", "-a"]);
  expect(ps.stdout).toMatch(/Exited \(4\).*ticker/);
});

it("refuses a name already in use", async () => {
  await b.berth(["run", "--name", "twin", "busybox", "true"]);
  const r = await b.berth(["run", "--name", "twin", "busybox", "true"]);
  expect(r.code).toBe(125);
  expect(r.stderr).toMatch(/The container name "\/twin" is already in use by container "[0-9a-f]{64}"/);
});

it("says a refused token in one line, and falls back to admin.token without BERTH_TOKEN", async () => {
  const bad = await b.berth(["images"], { env: { BERTH_TOKEN: "berth_wrong" } });
  expect(bad.code).toBe(1);
  expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  expect(bad.stderr).toMatch(/^berth: unauthorized/);
  // As root on the host: no BERTH_TOKEN, the CLI reads $BERTH_HOME/admin.token (mode 0600).
  expect(fs.statSync(path.join(b.home, "admin.token")).mode & 0o777).toBe(0o600);
  const ok = await b.berth(["images", "-q"], { env: { BERTH_TOKEN: undefined } });
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/^[0-9a-f]{12}\n$/);
});

it("is on PATH as `berth` after setup (the checkout's CLI, not npx's detour), and talks to the server", async () => {
  const link = "/usr/local/bin/berth";
  expect(fs.existsSync(link), `${link} is missing: scripts/setup.sh links it (as root)`).toBe(true);
  expect(fs.realpathSync(link)).toBe(fs.realpathSync(path.join(ROOT, "cli/bin/berth.js")));
  const r = await run("berth", ["run", "--rm", "busybox", "echo", "from PATH"], { env: { ...process.env, PATH: `/usr/local/bin:${process.env.PATH ?? ""}`, BERTH_URL: b.url, BERTH_TOKEN: b.token } });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe("from PATH\n");
});
