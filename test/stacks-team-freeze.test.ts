/**
 * The idle-freeze time is a team setting (issue 15): 30 minutes unless an admin changes it with
 * `berth team set TEAM --freeze-after D` ("off": never); a stack's own x-berth.freeze_after wins
 * over it. A member reads the setting and cannot change it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { useInstance, type RunResult } from "./harness.js";
import { until } from "./poll.js";

const b = useInstance();
let work: string;
type Who = (args: string[]) => Promise<RunResult>;
let alice: Who;
let bob: Who;

async function ok(who: Who, args: string[]): Promise<string> {
  const r = await who(args);
  expect(r.code, `berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function user(name: string): Promise<Who> {
  const res = await fetch(`${b.url}/api/trpc/user.create`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${b.token}` },
    body: JSON.stringify({ name, password: `${name}-password-1` }),
  });
  const token = ((await res.json()) as { result: { data: { token: string } } }).result.data.token;
  return (args) => b.berth(args, { env: { BERTH_TOKEN: token, XDG_CONFIG_HOME: `${b.home}/cfg-${name}`, BERTH_TEAM: "tf" }, timeoutMs: 180_000 });
}

const states = async (stack: string) => (JSON.parse(await ok(alice, ["stack", "ps", "-p", stack, "--format", "json"])) as { state: string }[]).map((r) => r.state);

function write(name: string, xBerth: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "compose.yaml"), `${xBerth}services:\n  web:\n    image: busybox\n    command: ["sleep", "3600"]\n`);
  return path.join(dir, "compose.yaml");
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-team-freeze-"));
  alice = await user("alice");
  bob = await user("bob");
  expect((await alice(["team", "create", "tf"])).code).toBe(0);
  await ok(alice, ["team", "add", "tf", "bob", "--role", "member"]);
}, 120_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it("30 minutes unless changed; an admin sets it, a stack's own freeze_after wins, off never freezes", async () => {
  expect(await ok(alice, ["team", "set", "tf"])).toMatch(/^TEAM\s+FREEZE AFTER\ntf\s+30m\n$/);

  // Bad values say what is wrong; a member reads the setting but cannot change it.
  const noUnit = await alice(["team", "set", "tf", "--freeze-after", "5"]);
  expect(noUnit.code).not.toBe(0);
  expect(noUnit.stderr).toContain("a duration needs a unit: 5s");
  const tooShort = await alice(["team", "set", "tf", "--freeze-after", "10ms"]);
  expect(tooShort.code).not.toBe(0);
  expect(tooShort.stderr).toContain("10ms is too short");
  expect(await ok(bob, ["team", "set", "tf"])).toMatch(/tf\s+30m/);
  const refused = await bob(["team", "set", "tf", "--freeze-after", "1h"]);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain("team.settings is refused: you are a member of team tf");

  // Three stacks, the same idle time: the team's 2 s freezes the plain one, not the one whose file says off or 1h.
  await ok(alice, ["stack", "-f", write("plain", ""), "up", "-d"]);
  await ok(alice, ["stack", "-f", write("never", "x-berth:\n  freeze_after: off\n"), "up", "-d"]);
  await ok(alice, ["stack", "-f", write("slow", "x-berth:\n  freeze_after: 1h\n"), "up", "-d"]);
  expect(await ok(alice, ["team", "set", "tf", "--freeze-after", "2s"])).toMatch(/tf\s+2s/);
  await until("the plain stack to freeze after the team's 2s", async () => (await states("plain")).every((s) => s === "frozen"));
  expect(await states("never")).toEqual(["running"]);
  expect(await states("slow")).toEqual(["running"]);

  // Off: a thawed stack stays awake.
  expect(await ok(alice, ["team", "set", "tf", "--freeze-after", "off"])).toMatch(/tf\s+off/);
  await ok(alice, ["stack", "thaw", "-p", "plain"]);
  expect(await states("plain")).toEqual(["running"]);
  // Several sweeps (one a second) pass with the stack idle past 2 s.
  await new Promise((r) => setTimeout(r, 4_000));
  expect(await states("plain")).toEqual(["running"]);
  for (const s of ["plain", "never", "slow"]) await ok(alice, ["stack", "down", "-p", s]);
}, 300_000);
