/**
 * The watch window after a release takes traffic survives web (issue 17): a release deployed by
 * web (`berth rollback`, which deploys in web's process) is watched by a job in Redis, so a
 * `kill -9` of web during the window loses nothing: the web the launcher starts again takes the
 * watch over, and a release whose health then fails is still rolled back by itself, once, saying
 * so in the audit log and the events; a healthy release's watch ends as passed and does nothing
 * else (the stopped replicas of the release before go, nothing rolls back).
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "@berth/core/db";
import { useInstance } from "./harness.js";
import { killWeb } from "./kill-restart.js";
import { releaseProject, writeRelease } from "./release-fixture.mjs";
import { edgeGet } from "./edge-client.js";
import { until as untilWithin } from "./poll.js";
import { webInProcess, webModule, type WebInProcess, type WebServices } from "./web-in-process.js";

const b = useInstance();

type Deploy = typeof import("../web/src/server/releases/deploy.js");
type Secrets = typeof import("../web/src/server/secrets/index.js");
type Actor = import("../web/src/server/policy/index.js").Actor;
let deploy: Deploy;
let secrets: Secrets;
let web: WebInProcess | undefined;
let services: WebServices;
let db: PrismaClient;
let work: string;
let team: { id: string; name: string; personal: boolean };
let actor: Actor;
let envId: string;
const images: Record<string, string> = {};

const HOST = () => `env--staging--shop--acme.localhost:${b.edgePort}`;
const HEALTH = { kind: "http", path: "/health.txt", status: 200, intervalMs: 200, timeoutMs: 2_000, retries: 2, startPeriodMs: 3_000 };
const inTeam = (args: string[]) => b.berth(["--team", "acme", ...args], { timeoutMs: 300_000 });

/** GET / through the edge on loopback with the environment's host name. */
async function page(): Promise<string> {
  const r = await edgeGet(b.edgePort, HOST(), { token: b.token });
  return `${r.status} ${r.body}`;
}

const until = (what: string, check: () => boolean | Promise<boolean>, ms = 120_000) => untilWithin(what, check, ms);

/** Builds a web image whose page says `version` and that answers /health.txt. */
async function buildWeb(version: string): Promise<string> {
  const dir = path.join(work, `web-${version}`);
  fs.mkdirSync(path.join(dir, "www"), { recursive: true });
  fs.writeFileSync(path.join(dir, "www/health.txt"), "ok\n");
  fs.writeFileSync(path.join(dir, "Dockerfile"), `FROM busybox\nCOPY www /www\nENV VERSION=${version}\nEXPOSE 8080\nCMD ["sh", "-c", "echo \\"$VERSION\\" > /www/index.html; exec httpd -f -p 8080 -h /www"]\n`);
  const r = await inTeam(["build", "-q", "-t", `acme/shop/web:${version}`, dir]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout.trim();
}

let nextNumber = 1;

/** A pending release of `web` written as rel-api's promote writes one, deployed from here (no watch window yet). */
async function deployHere(web: string): Promise<void> {
  const key = await secrets.loadSecretKey(b.home);
  const { id } = await writeRelease(db, {
    environmentId: envId,
    number: nextNumber++,
    images: { web },
    project: releaseProject({ web: { image: "acme/shop/web:x", expose: ["8080"], labels: { "berth.web.port": "8080" } } }),
    config: { GREETING: { value: "hi" } },
    seal: (context, value) => secrets.seal(key, context, value),
    health: HEALTH,
  });
  const out = await deploy.deployRelease(services, id, { actor, onLine: () => {} });
  expect(await out.watch).toBe("stable");
}

const webContainers = () => db.container.findMany({ where: { teamId: team.id, name: { startsWith: "env--staging--shop-web-" } }, select: { id: true, name: true, state: true, imageId: true } });
const releaseRow = (number: number) => db.release.findFirstOrThrow({ where: { environmentId: envId, number } });

/** The deploy events of release vN of shop/staging, in order. */
async function eventsOf(number: number): Promise<{ type: string; state: string }[]> {
  const events = await services.redis.xrange("events:recent", "-", "+");
  return events
    .map(([, f]) => JSON.parse(f[1]!) as { type: string; id: string; attributes: Record<string, string> })
    .filter((e) => e.id === `shop/staging/v${number}` && (e.type === "release.deploy" || e.type === "release.rollback"))
    .map((e) => ({ type: e.type, state: e.attributes.state! }));
}

/** `berth rollback shop staging vN`: a new release, deployed (and then watched) by web. Its number. */
async function rollbackInWeb(to: number): Promise<number> {
  const r = await inTeam(["rollback", "shop", "staging", `v${to}`]);
  expect(r.code, r.stderr).toBe(0);
  nextNumber++;
  return Number(/^v(\d+) /.exec(r.stdout)![1]);
}

beforeAll(async () => {
  web = await webInProcess(b, "releases-watch-test");
  ({ services, db } = web);
  const r = await b.berth(["team", "create", "acme"]);
  expect(r.code, r.stderr).toBe(0);
  deploy = await webModule<Deploy>("server/releases/deploy.js");
  secrets = await webModule<Secrets>("server/secrets/index.js");
  team = await db.team.findUniqueOrThrow({ where: { name: "acme" }, select: { id: true, name: true, personal: true } });
  const admin = await db.user.findFirstOrThrow({ where: { isAdmin: true }, select: { id: true, name: true } });
  actor = { userId: admin.id, userName: admin.name, siteAdmin: false, readOnly: false, team, role: "member" };
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-release-watch-"));
  const projectId = randomUUID();
  envId = randomUUID();
  await db.project.create({ data: { id: projectId, teamId: team.id, name: "shop" } });
  await db.environment.create({ data: { id: envId, projectId, name: "staging", position: 1, branch: "main", replicas: 1, watchSeconds: 0 } });
  images.v1 = await buildWeb("v1");
  images.v2 = await buildWeb("v2");
  await deployHere(images.v1);
  await deployHere(images.v2);
  expect(await page()).toBe("200 v2\n");
}, 600_000);

afterAll(async () => {
  await web?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the watch window survives a kill -9 of web", () => {
  it("a release whose health fails after web was killed mid-window is still rolled back by itself, once", async () => {
    await db.environment.update({ where: { id: envId }, data: { watchSeconds: 300 } });
    // v3: v1's images again, deployed by web; v2 waits (stopped) for the window.
    const v3 = await rollbackInWeb(1);
    expect(await page()).toBe("200 v1\n");
    expect((await releaseRow(v3)).state).toBe("live");

    await killWeb(b);
    // Now (with the web that watched it gone) v3's replica starts failing its health check.
    const [replica] = (await webContainers()).filter((c) => c.state === "running");
    expect(replica?.imageId).toBe(images.v1);
    // (exec goes through web to the worker's agent link, which comes back a moment after web.)
    let rm = { code: -1 as number | null, stderr: "" };
    await until("exec in the replica", async () => (rm = await inTeam(["exec", replica!.name, "rm", "/www/health.txt"])).code === 0 || !/not connected/.test(rm.stderr), 60_000);
    expect(rm.code, rm.stderr).toBe(0);

    await until("the restarted web to roll v3 back", async () => (await releaseRow(v3)).state !== "live", 180_000);
    const rolled = await releaseRow(v3);
    expect(rolled.state).toBe("rolled-back");
    expect(rolled.error).toContain(`${replica!.name}: 2 checks in a row failed; the last: GET /health.txt on port 8080 answered 404`);
    expect((await releaseRow(2)).state).toBe("live");
    expect((await db.environment.findUniqueOrThrow({ where: { id: envId } })).liveRelease).toBe(2);
    await until("v2 to serve again", async () => (await page()) === "200 v2\n", 30_000);
    // v2 serves from the switch on; the audit entry follows once the rollback has removed v3's replica.
    const rollbackAudit = () => db.auditEvent.findMany({ where: { action: "release.rollback", target: `shop staging v${v3}` } });
    await until("the rollback's audit entry", async () => (await rollbackAudit()).length > 0, 30_000);
    const audit = await rollbackAudit();
    expect(audit.map((a) => [a.result, a.actorName])).toEqual([["ok", "berth (watch window)"]]);
    expect(audit[0]!.detail).toContain(`v${v3} rolled back to v2 by itself`);
    // One outcome: one rollback, started once, never reported as passed.
    await until("the rollback's last event", async () => (await eventsOf(v3)).some((e) => e.state === "rolled-back"), 10_000);
    expect((await eventsOf(v3)).filter((e) => e.type === "release.rollback")).toEqual([
      { type: "release.rollback", state: "started" },
      { type: "release.rollback", state: "rolled-back" },
    ]);
    expect((await eventsOf(v3)).filter((e) => e.state === "stable")).toEqual([]);
  }, 600_000);

  it("a healthy release's watch, resumed after a kill -9 of web, ends as passed and does nothing else", async () => {
    await db.environment.update({ where: { id: envId }, data: { watchSeconds: 20 } });
    const v = await rollbackInWeb(1);
    expect(await page()).toBe("200 v1\n");
    // The release before's replica waits, stopped, for the window.
    const retained = (await webContainers()).filter((c) => c.state === "exited").map((c) => c.id);
    expect(retained).toHaveLength(1);
    await killWeb(b);
    await until("the watch to pass", async () => (await eventsOf(v)).some((e) => e.type === "release.deploy" && e.state === "stable"), 180_000);
    expect((await releaseRow(v)).state).toBe("live");
    expect(await page()).toBe("200 v1\n");
    // Passed: the stopped replica of the release before is gone; nothing rolled back.
    await until("the stopped replica to go", async () => (await webContainers()).every((c) => !retained.includes(c.id)));
    expect((await webContainers()).map((c) => [c.state, c.imageId])).toEqual([["running", images.v1]]);
    expect(await db.auditEvent.count({ where: { action: "release.rollback", target: `shop staging v${v}` } })).toBe(0);
    expect((await eventsOf(v)).filter((e) => e.state === "stable")).toHaveLength(1);
  }, 600_000);

  it("a window that passes never removes a replica of the release before that serves again (a later deploy reused it)", async () => {
    // The race this closes: the window decided "stable" and only then removed the stopped
    // replicas; a rollback to the release before, deployed as soon as it read the decision (or
    // on another web), reused such a replica (same config), and the window then removed the
    // live release's replicas. Here the window runs again for the live release with its own
    // running replica in the list of those to remove, as that late removal saw it.
    await db.environment.update({ where: { id: envId }, data: { watchSeconds: 0 } });
    const live = (await db.environment.findUniqueOrThrow({ where: { id: envId } })).liveRelease!;
    const rel = await releaseRow(live);
    const [serving] = (await webContainers()).filter((c) => c.state === "running");
    expect(serving).toBeDefined();
    const before = await page();
    expect(before).toMatch(/^200 v[12]\n$/);
    const { runWatch } = await webModule<typeof import("../web/src/server/releases/watch-run.js")>("server/releases/watch-run.js");
    await services.redis.del(`berth:release-watch:outcome:${rel.id}`, `berth:release-watch:cancel:${rel.id}`);
    const payload = { releaseId: rel.id, until: Date.now(), seconds: 0, previous: null, replicas: [{ id: serving!.id, name: serving!.name }], retained: [serving!.id], by: { userId: actor.userId, userName: actor.userName } };
    expect(await runWatch(services, payload, new AbortController().signal)).toBe("stable");
    expect((await webContainers()).map((c) => [c.id, c.state])).toEqual([[serving!.id, "running"]]);
    expect(await page()).toBe(before);
  }, 120_000);
});
