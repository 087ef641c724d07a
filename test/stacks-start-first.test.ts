/**
 * Previews and releases converge in the worker's stack.converge job, like `berth stack up`, with
 * some services replaced start-first (review finding D3): the worker starts the new replica beside
 * the old one, asks web through the run's stream whether it is ready, and waits for the answer;
 * only then does the old one go; the run is followed like any `up`. A "not ready" answer removes the new replica and keeps the old
 * one, and the converge fails with web's reason. Services dropped from the file go last.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FailedPrecondition, type StackContainer } from "@berth/core";
import { loadCompose, type ComposeProject } from "@berth/core/compose";
import type { PrismaClient } from "@berth/core/db";
import { useInstance } from "./harness.js";
import { webInProcess, webModule, type WebInProcess, type WebServices } from "./web-in-process.js";

const b = useInstance();

type StackService = typeof import("../web/src/server/stacks/service.js");
type Actor = Parameters<StackService["stackUpStartFirst"]>[1];
let stacks: StackService;
let web: WebInProcess | undefined;
let services: WebServices;
let db: PrismaClient;
let actor: Actor;
let work: string;

beforeAll(async () => {
  web = await webInProcess(b, "stacks-start-first-test");
  ({ services, db } = web);
  const r = await b.berth(["team", "create", "acme"]);
  expect(r.code, r.stderr).toBe(0);
  stacks = await webModule<StackService>("server/stacks/service.js");
  const team = await db.team.findUniqueOrThrow({ where: { name: "acme" } });
  actor = { userId: "", userName: "start-first test", siteAdmin: false, readOnly: false, team: { id: team.id, name: team.name, personal: team.personal }, role: "member" };
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-start-first-"));
}, 120_000);

afterAll(async () => {
  await web?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The stack `sf` with `api` at version `v`, and `extra` only when asked. */
function project(v: number, extra: boolean): ComposeProject {
  const dir = path.join(work, `v${v}`);
  fs.mkdirSync(dir, { recursive: true });
  const svc = (env: string) => `    image: busybox\n    command: ["sleep", "3600"]\n    environment: { V: "${env}" }\n`;
  fs.writeFileSync(path.join(dir, "compose.yaml"), `services:\n  api:\n${svc(String(v))}${extra ? `  extra:\n${svc("x")}` : ""}`);
  return loadCompose({ cwd: dir, projectName: "sf", env: {} });
}

const rows = async (service: string) => (await db.container.findMany({ where: { teamId: actor.team.id, name: { startsWith: `sf-${service}-` } }, orderBy: { createdAt: "asc" } })).map((c) => ({ id: c.id, name: c.name, state: c.state }));

it("asks web whether the new replica is ready while the old one still runs beside it, then removes the old one and the dropped service", async () => {
  const first = await stacks.stackUpStartFirst(services, actor, project(1, true), { startFirst: { api: async () => {} } });
  expect(first.error).toBeUndefined();
  const [v1] = await rows("api");
  expect(v1?.state).toBe("running");
  expect((await rows("extra")).map((c) => c.state)).toEqual(["running"]);

  const seen: { keep: string; replaced: string[]; during: { id: string; state: string }[]; extra: string[] }[] = [];
  const second = await stacks.stackUpStartFirst(services, actor, project(2, false), {
    startFirst: {
      api: async (keep: StackContainer, replaced: StackContainer[]) => {
        seen.push({ keep: keep.row.id, replaced: replaced.map((c) => c.row.id), during: await rows("api"), extra: (await rows("extra")).map((c) => c.state) });
      },
    },
  });
  expect(second.error).toBeUndefined();
  expect(seen).toHaveLength(1);
  const asked = seen[0]!;
  expect(asked.replaced).toEqual([v1!.id]);
  expect(asked.keep).not.toBe(v1!.id);
  // Both ran while web decided: the old one serving, the new one started beside it.
  expect(asked.during.filter((c) => c.state === "running").map((c) => c.id).sort()).toEqual([v1!.id, asked.keep].sort());
  // The dropped service was still there while api was being replaced: it goes only once the rest is up.
  expect(asked.extra).toEqual(["running"]);
  expect((await rows("api")).map((c) => c.id)).toEqual([asked.keep]);
  expect(await rows("extra")).toEqual([]);
  expect(second.events).toContainEqual(expect.objectContaining({ name: v1!.name, status: "Removed", service: "api" }));
  // It was the worker's stack.converge run: `stack.progress` (CLI, dashboard) follows it like any `up`.
  const run = await stacks.stackProgress(services, actor.team.id, "sf", second.runId);
  expect(run.end).toEqual({ ok: true });
  expect(run.events).toContainEqual(expect.objectContaining({ name: v1!.name, status: "Removed", service: "api" }));
}, 180_000);

it("a replica web says is not ready goes, the old one keeps running, and the converge fails with web's reason", async () => {
  const [live] = await rows("api");
  expect(live?.state).toBe("running");
  let candidate = "";
  const up = await stacks.stackUpStartFirst(services, actor, project(3, false), {
    startFirst: {
      api: async (keep: StackContainer) => {
        candidate = keep.row.id;
        throw new FailedPrecondition("api is not ready: the test says no");
      },
    },
  });
  expect(up.error).toContain("api is not ready: the test says no");
  expect(candidate).not.toBe("");
  expect(candidate).not.toBe(live!.id);
  expect(await rows("api")).toEqual([{ id: live!.id, name: live!.name, state: "running" }]);
  expect(up.events).toContainEqual(expect.objectContaining({ status: "Error", service: "api", error: expect.stringContaining("the test says no") }));
  const svc = await db.stackService.findFirstOrThrow({ where: { name: "api", stack: { teamId: actor.team.id, name: "sf" } } });
  expect(svc.state).toBe("failed");
}, 180_000);

it("a deploy web stopped following (restarted mid-deploy) ends within seconds: the new replica goes, the old one keeps running", async () => {
  const [live] = await rows("api");
  expect(live?.state).toBe("running");
  const run = await webModule<typeof import("../web/src/server/stacks/run.js")>("server/stacks/run.js");
  const stack = await db.stack.findFirstOrThrow({ where: { teamId: actor.team.id, name: "sf" } });
  // What a web that died right after enqueueing leaves: a start-first run nobody follows.
  const runId = await run.enqueueConverge(services, actor, stack.id, stack.name, [], [], { one: ["api"], all: [], namesOnceReady: false });
  const done = await run.waitRun(services, actor.team.id, stack.id, runId);
  expect(done.error).toContain("web stopped following this deploy");
  expect(await rows("api")).toEqual([{ id: live!.id, name: live!.name, state: "running" }]);
}, 120_000);
