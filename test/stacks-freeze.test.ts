/**
 * Idle freeze (issue 15): a stack with `x-berth: {freeze_after}` whose port links had no request
 * for that long is frozen (cgroup freezer, as `berth pause`) and shown as frozen; the next request
 * through its link is held while web thaws it, then served by the same process, its state intact.
 * A stack without freeze_after idles for its team's time (30 minutes unless changed) instead.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { memberWithTeam, stackWithLink, startedServer, type Member } from "./stack-link.js";
import { until } from "./poll.js";
import { curl } from "./curl.js";

const b = useInstance();
let work: string;
let alice: Member;

const ok = async (args: string[]): Promise<string> => (await alice.ok(args)).stdout;

const states = async (stack: string) => (JSON.parse(await ok(["stack", "ps", "-p", stack, "--format", "json"])) as { service: string; state: string }[]).map((r) => r.state);

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-freeze-"));
  alice = await memberWithTeam(b, "alice", "frz");
}, 120_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it("an idle stack with freeze_after is frozen; the next request is held, thaws it and is served by the same process", async () => {
  const idle = await stackWithLink(alice, work, "idle", `x-berth:\n  freeze_after: 2s\nservices:\n  web:\n    image: busybox\n    command: ${startedServer()}\n`);
  await stackWithLink(alice, work, "awake", `services:\n  web:\n    image: busybox\n    command: ${startedServer()}\n`);
  const link = `http://idle-web-1-8080--frz.localhost:${b.edgePort}/file`;
  const auth = { authorization: `Bearer ${alice.token}` };
  let first = { status: 0, body: "" };
  await until("the link to answer", async () => (first = await curl(link, auth).catch(() => ({ status: 0, body: "" }))).status === 200);
  expect(first.body).toMatch(/^started [0-9a-f-]{36}\n$/);

  // No request for 2 s: frozen, and shown so by ps, ls and inspect.
  await until("the idle stack to freeze", async () => (await states("idle")).every((s) => s === "frozen"));
  const ls = JSON.parse(await ok(["stack", "ls", "--format", "json"])) as { name: string; status: string }[];
  expect(ls.find((r) => r.name === "idle")?.status).toBe("frozen(1)");
  const inspect = JSON.parse(await ok(["inspect", "idle-web-1"])) as { State: { Paused: boolean; Running: boolean } }[];
  expect(inspect[0]!.State).toMatchObject({ Running: true, Paused: true });
  // The stack without freeze_after follows the team's 30 minutes: idle as long, it still runs.
  expect(await states("awake")).toEqual(["running"]);

  // The request is held, not refused, and the same process answers.
  const after = await curl(link, auth);
  expect(after).toMatchObject({ status: 200, body: first.body });

  // `up` of a frozen stack thaws it too, and leaves its container as it was.
  await until("the idle stack to freeze again", async () => (await states("idle")).every((s) => s === "frozen"));
  const up = await alice.berth(["stack", "-f", idle, "up", "-d"]);
  expect(up.code, up.stderr).toBe(0);
  expect(up.stderr).toMatch(/Container idle-web-1\s+Running/);
  expect((await curl(link, auth)).body).toBe(first.body);
  await ok(["stack", "down", "-p", "idle"]);
  await ok(["stack", "down", "-p", "awake"]);
}, 300_000);
