/**
 * `berth stack ports|link|freeze|thaw` through the real CLI (issue 15): the stack's port links with
 * their visibility, `--set SERVICE:PORT=private|team|public` changing who may open one (checked
 * with curl through the edge), `stack link SERVICE:PORT --ttl` printing a capability link that
 * opens a private port for whoever holds it, and the idle freeze at once: `stack freeze` freezes
 * the cgroups (ps says frozen), a request through the link is held and answered by the same
 * process, `stack thaw` thaws, and so does an exec into one of its containers.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { useInstance, type RunResult } from "./harness.js";
import { memberWithTeam, stackLink, stackWithLink, startedServer, type Member } from "./stack-link.js";
import { until } from "./poll.js";
import { curl } from "./curl.js";

const b = useInstance();
let work: string;
let alice: Member;

const ok = (args: string[]): Promise<RunResult> => alice.ok(args);

const states = async (stack: string) => (JSON.parse((await ok(["stack", "ps", "-p", stack, "--format", "json"])).stdout) as { service: string; state: string }[]).map((r) => r.state);

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-ports-"));
  alice = await memberWithTeam(b, "alice", "lnk");
  await stackWithLink(
    alice,
    work,
    "shop",
    `x-berth:\n  freeze_after: off\nservices:\n  web:\n    image: busybox\n    expose: ["8080"]\n    command: ${startedServer()}\n  db:\n    image: busybox\n    command: ["sleep", "3600"]\n    expose: ["5432"]\n`,
  );
}, 180_000);
afterAll(async () => {
  await alice?.berth(["stack", "down", "-p", "shop"]);
  fs.rmSync(work, { recursive: true, force: true });
});

const link = () => `${stackLink(b, "shop", "lnk", "web", 8080)}/file`;

it("lists the stack's links with their visibility and changes one with --set", async () => {
  const table = (await ok(["stack", "ports", "-p", "shop"])).stdout;
  expect(table.split("\n")[0]).toMatch(/^SERVICE\s+PORT\s+VISIBILITY\s+URL$/);
  expect(table).toMatch(new RegExp(`db\\s+5432\\s+private\\s+http://db-5432--shop--lnk\\.localhost:${b.edgePort}/`));
  expect(table).toMatch(new RegExp(`web\\s+8080\\s+private\\s+http://web-8080--shop--lnk\\.localhost:${b.edgePort}/`));

  // Private: a signed-out script is refused, a member's token passes.
  let first = { status: 0, body: "" };
  await until("the link to answer", async () => (first = await curl(link(), { authorization: `Bearer ${alice.token}` }).catch(() => first)).status === 200);
  expect(first.body).toMatch(/^started [0-9a-f-]{36}\n$/);
  expect((await curl(link())).status).toBe(401);

  const set = await ok(["stack", "ports", "-p", "shop", "--set", "web:8080=public"]);
  expect(set.stdout).toMatch(/web\s+8080\s+public/);
  const json = JSON.parse((await ok(["stack", "ports", "-p", "shop", "--format", "json"])).stdout) as { service: string; port: number; visibility: string }[];
  expect(json.map((r) => `${r.service}:${r.port}=${r.visibility}`)).toEqual(["db:5432=private", "web:8080=public"]);
  // The edge caches a refusal briefly: the public link opens for anyone once it lapses.
  await until("the public link to open signed out", async () => (await curl(link())).status === 200);

  await ok(["stack", "ports", "-p", "shop", "--set", "web:8080=private"]);
  await until("the link to be private again", async () => (await curl(link())).status === 401);

  const bad = await alice.berth(["stack", "ports", "-p", "shop", "--set", "web:8080=everyone"]);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain("SERVICE:PORT=VISIBILITY, VISIBILITY one of private, team, public");
  const noService = await alice.berth(["stack", "ports", "-p", "shop", "--set", "cache:6379=team"]);
  expect(noService.code).not.toBe(0);
  expect(noService.stderr).toContain("stack shop has no service cache");
}, 120_000);

it("prints a capability link that opens a private port for whoever holds it", async () => {
  const r = await ok(["stack", "link", "-p", "shop", "web:8080", "--ttl", "1h"]);
  const url = new URL(r.stdout.trim());
  expect(url.host).toBe(`web-8080--shop--lnk.localhost:${b.edgePort}`);
  expect(url.searchParams.get("berth_link")).toMatch(/.{16,}/);
  expect(r.stderr).toMatch(/^expires \d{4}-\d\d-\d\dT/);
  url.pathname = "/file";
  expect((await curl(url.toString())).status).toBe(200);
  // The secret alone, as a header (curl, CI).
  const secret = (await ok(["stack", "link", "-p", "shop", "web:8080", "--secret"])).stdout.trim();
  expect((await curl(link(), { "x-berth-link": secret })).status).toBe(200);
  const bad = await alice.berth(["stack", "link", "-p", "shop", "web"]);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('"web" is not SERVICE:PORT');
}, 60_000);

it("freezes the stack at once; a request through its link thaws it, and so does stack thaw", async () => {
  const auth = { authorization: `Bearer ${alice.token}` };
  const before = await curl(link(), auth);
  expect(before.status).toBe(200);

  const frozen = await ok(["stack", "freeze", "-p", "shop"]);
  expect(frozen.stderr).toContain("Stack shop  Frozen (2 containers)");
  expect(await states("shop")).toEqual(["frozen", "frozen"]);
  const inspect = JSON.parse((await ok(["inspect", "shop-web-1"])).stdout) as { State: { Paused: boolean; Running: boolean } }[];
  expect(inspect[0]!.State).toMatchObject({ Running: true, Paused: true });
  expect((await ok(["stack", "ls", "--format", "json"])).stdout).toContain('"status":"frozen(2)"');
  expect((await ok(["stack", "freeze", "-p", "shop"])).stderr).toContain("Frozen already");

  // Held, not refused; the same process answers; the stack is awake again.
  expect(await curl(link(), auth)).toMatchObject({ status: before.status, body: before.body });
  expect(await states("shop")).toEqual(["running", "running"]);

  await ok(["stack", "freeze", "-p", "shop"]);
  const thawed = await ok(["stack", "thaw", "-p", "shop"]);
  expect(thawed.stderr).toContain("Stack shop  Thawed");
  expect(await states("shop")).toEqual(["running", "running"]);
  expect((await ok(["stack", "thaw", "-p", "shop"])).stderr).toContain("Stack shop  Not frozen");
  expect(await curl(link(), auth)).toMatchObject({ status: before.status, body: before.body });

  // An exec into a frozen stack thaws it first (a process joining a frozen cgroup would hang).
  await ok(["stack", "freeze", "-p", "shop"]);
  expect(await states("shop")).toEqual(["frozen", "frozen"]);
  expect((await ok(["stack", "exec", "-p", "shop", "-T", "web", "cat", "/www/file"])).stdout).toBe(before.body);
  expect(await states("shop")).toEqual(["running", "running"]);

  const missing = await alice.berth(["stack", "freeze", "-p", "nosuch"]);
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain("no such stack: nosuch");
}, 120_000);
