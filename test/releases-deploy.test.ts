/**
 * Deploying releases to an environment (issue 17), the way promote and rollback deploy them:
 * deployRelease() on Release rows written here, for a two-service app (web from busybox's httpd,
 * its page naming the release, its replica and the environment's config; api beside it). With 2
 * replicas a new release replaces the old one while requests flow and none fails; a health check
 * that fails, or a release command that exits 1, stops the deploy before traffic moves and the
 * old release keeps serving; a health failure after the switch rolls back by itself.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "@berth/core/db";
import { useInstance } from "./harness.js";
import { edgeGet } from "./edge-client.js";
import { until } from "./poll.js";
import { webInProcess, webModule, type WebInProcess, type WebServices } from "./web-in-process.js";
import { releaseProject, writeRelease } from "./release-fixture.mjs";

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
let projectId: string;
let envId: string;
const images: Record<string, string> = {};
const lines: string[] = [];

const HOST = () => `env--staging--shop--acme.localhost:${b.edgePort}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** GET through the edge on loopback with the environment's host name (an API token: the route is the team's). */
function get(pathname = "/"): Promise<{ status: number; body: string }> {
  return edgeGet(b.edgePort, HOST(), { path: pathname, agent, token: b.token });
}

const inTeam = (args: string[]) => b.berth(["--team", "acme", ...args], { timeoutMs: 300_000 });

/**
 * What web's /cgi-bin/api answers: api's page, api's name looked up in /etc/hosts on each request
 * as the resolver's files source does (the first line naming it), and fetched with nc (busybox-
 * static's wget crashes in a container without glibc's NSS modules); 502 when that fails.
 */
const CALL_API = String.raw`#!/bin/sh
ip=$(awk '{ for (i = 2; i <= NF; i++) if ($i == "api") { print $1; exit } }' /etc/hosts)
resp=$([ -n "$ip" ] && printf 'GET / HTTP/1.0\r\nHost: api\r\n\r\n' | nc -w 5 "$ip" 9000 | tr -d '\r')
case "$resp" in
"HTTP/1."?" 200 "*) printf 'Content-Type: text/plain\r\n\r\n%s\n' "$(printf '%s\n' "$resp" | sed '1,/^$/d')" ;;
*) printf 'Status: 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\napi unreachable at "%s"\n' "$ip" ;;
esac
`;

/** Builds a web image whose page says `version`, with /health.txt unless `healthy` is false, and /cgi-bin/api calling api. */
async function buildWeb(version: string, healthy = true, extra = ""): Promise<string> {
  const dir = path.join(work, `web-${version}`);
  fs.mkdirSync(path.join(dir, "www/cgi-bin"), { recursive: true });
  if (healthy) fs.writeFileSync(path.join(dir, "www/health.txt"), "ok\n");
  fs.writeFileSync(path.join(dir, "www/cgi-bin/api"), CALL_API, { mode: 0o755 });
  fs.writeFileSync(
    path.join(dir, "Dockerfile"),
    `FROM busybox\nCOPY www /www\nENV VERSION=${version}\nEXPOSE 8080\n${extra}CMD ["sh", "-c", "echo \\"$VERSION $GREETING $(hostname)\\" > /www/index.html; exec httpd -f -p 8080 -h /www"]\n`,
  );
  const r = await inTeam(["build", "-q", "-t", `acme/shop/web:${version}`, dir]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout.trim();
}

const HEALTH = { kind: "http", path: "/health.txt", status: 200, intervalMs: 200, timeoutMs: 2_000, retries: 2, startPeriodMs: 3_000 };

/** Builds an api image (busybox) whose page says `api-<version>`. */
async function buildApi(version: string): Promise<string> {
  const dir = path.join(work, `api-${version}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "Dockerfile"), `FROM busybox\nENV API=${version}\n`);
  const r = await inTeam(["build", "-q", "-t", `acme/shop/api:${version}`, dir]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout.trim();
}

/** The compose project a release records: web (labelled as the one taking traffic) and api, plus `extra` services. */
function composeProject(web: object = {}, extra: Record<string, object> = {}, volumes: Record<string, object> = {}) {
  return releaseProject(
    {
      web: { image: "acme/shop/web:x", expose: ["8080"], labels: { "berth.web.port": "8080" }, dependsOn: { api: { condition: "service_started", required: true, restart: false } }, ...web },
      // api takes a second to start, as apps do (a replica that is not ready yet must not get requests);
      // busybox httpd as PID 1 ignores SIGTERM: a short grace keeps an old replica's stop short.
      api: { image: "acme/shop/api:x", command: ["sh", "-c", 'mkdir -p /srv && echo "api-${API:-0}" > /srv/index.html && sleep 1 && exec httpd -f -p 9000 -h /srv'], expose: ["9000"], stopGracePeriodSec: 1 },
      ...extra,
    },
    volumes,
  );
}

let nextNumber = 1;

/** Writes a pending release of `web` (by digest) with the environment's config, as rel-api's promote does. */
async function release(web: string, o: { releaseCommand?: string; health?: object; service?: object; api?: string; extra?: Record<string, object>; extraImages?: Record<string, string>; volumes?: Record<string, object> } = {}): Promise<{ id: string; number: number }> {
  const key = await secrets.loadSecretKey(b.home);
  return writeRelease(db, {
    environmentId: envId,
    number: nextNumber++,
    images: { web, api: o.api ?? images.api!, ...o.extraImages },
    project: composeProject(o.service, o.extra, o.volumes),
    config: { GREETING: { value: "hello-staging", secret: true } },
    seal: (context, value) => secrets.seal(key, context, value),
    health: o.health ?? HEALTH,
    releaseCommand: o.releaseCommand ?? null,
  });
}

const run = (id: string) => deploy.deployRelease(services, id, { actor, onLine: (l) => { lines.push(l); if (process.env.DEPLOY_TRACE) console.log(new Date().toISOString(), l); } });

async function webContainers() {
  return db.container.findMany({ where: { teamId: team.id, name: { startsWith: "env--staging--shop-web-" } }, select: { id: true, name: true, state: true, imageId: true } });
}

beforeAll(async () => {
  web = await webInProcess(b, "releases-deploy-test");
  ({ services, db } = web);
  const r = await b.berth(["team", "create", "acme"]);
  expect(r.code, r.stderr).toBe(0);
  deploy = await webModule<Deploy>("server/releases/deploy.js");
  secrets = await webModule<Secrets>("server/secrets/index.js");
  team = await db.team.findUniqueOrThrow({ where: { name: "acme" }, select: { id: true, name: true, personal: true } });
  const admin = await db.user.findFirstOrThrow({ where: { isAdmin: true }, select: { id: true, name: true } });
  actor = { userId: admin.id, userName: admin.name, siteAdmin: false, readOnly: false, team, role: "member" };
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-releases-"));
  projectId = randomUUID();
  envId = randomUUID();
  await db.project.create({ data: { id: projectId, teamId: team.id, name: "shop" } });
  await db.environment.create({ data: { id: envId, projectId, name: "staging", position: 1, branch: "main", replicas: 2, watchSeconds: 0 } });
  images.api = await buildApi("1");
  images.api2 = await buildApi("2");
  images.v1 = await buildWeb("v1");
  images.v2 = await buildWeb("v2");
}, 600_000);

afterAll(async () => {
  agent.destroy();
  await web?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("releases deploy", () => {
  let live = 0;

  it("deploys a release: 2 replicas by digest with the environment's config, behind the environment's URL", async () => {
    const v1 = await release(images.v1!);
    const out = await run(v1.id);
    expect(out).toMatchObject({ number: v1.number, url: `http://${HOST()}/` });
    expect(await out.watch).toBe("stable");
    const page = await get();
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/^v1 hello-staging /);
    const webs = await webContainers();
    expect(webs.map((c) => [c.state, c.imageId])).toEqual([
      ["running", images.v1],
      ["running", images.v1],
    ]);
    expect(await db.release.findUniqueOrThrow({ where: { id: v1.id } })).toMatchObject({ state: "live", error: null });
    expect((await db.environment.findUniqueOrThrow({ where: { id: envId } })).liveRelease).toBe(v1.number);
    live = v1.number;
  }, 300_000);

  it("replaces the release with 2 replicas while requests flow: none fails, and both new replicas serve", async () => {
    const v2 = await release(images.v2!);
    let done = false;
    const deploying = run(v2.id).finally(() => (done = true));
    const failures: string[] = [];
    const seen = new Map<string, Set<string>>();
    let n = 0;
    // Two loops of requests while it deploys (bounded), then a few more after the switch.
    const loop = async () => {
      for (let after = 0; n < 20_000 && after < 40; n++) {
        if (done) after++;
        try {
          const r = await get();
          const [version, greeting, host] = r.body.trim().split(" ");
          if (r.status !== 200 || greeting !== "hello-staging" || !host) failures.push(`${r.status} ${r.body.slice(0, 80)}`);
          else seen.set(version!, (seen.get(version!) ?? new Set()).add(host));
        } catch (err) {
          failures.push((err as Error).message);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await Promise.all([loop(), loop()]);
    const out = await deploying;
    expect(failures, `${failures.length} of ${n} requests failed: ${failures.slice(0, 5).join("; ")}`).toEqual([]);
    expect(seen.get("v1")?.size ?? 0).toBeGreaterThan(0);
    // The route balances across every new replica.
    expect(seen.get("v2")?.size).toBe(2);
    expect(await out.watch).toBe("stable");
    expect((await get()).body).toMatch(/^v2 /);
    const webs = await webContainers();
    expect(webs.map((c) => [c.state, c.imageId])).toEqual([
      ["running", images.v2],
      ["running", images.v2],
    ]);
    expect((await db.release.findFirstOrThrow({ where: { environmentId: envId, number: live } })).state).toBe("superseded");
    expect((await db.release.findUniqueOrThrow({ where: { id: v2.id } })).state).toBe("live");
    live = v2.number;
  }, 300_000);

  /** Runs `deployment` while two loops of requests go through the edge to web's /cgi-bin/api (web then calls api by name); what api said, and every failure. */
  async function callApiDuring(deployment: () => Promise<{ watch: Promise<unknown> }>): Promise<{ failures: string[]; seen: Set<string>; n: number }> {
    let done = false;
    const deploying = deployment().finally(() => (done = true));
    const failures: string[] = [];
    const seen = new Set<string>();
    let n = 0;
    const loop = async () => {
      for (let after = 0; n < 20_000 && after < 40; n++) {
        if (done) after++;
        try {
          const r = await get("/cgi-bin/api");
          if (r.status !== 200 || !/^api-\d+$/.test(r.body.trim())) failures.push(`${r.status} ${r.body.slice(0, 80)}`);
          else seen.add(r.body.trim());
        } catch (err) {
          failures.push((err as Error).message);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await Promise.all([loop(), loop()]);
    expect(await (await deploying).watch).toBe("stable");
    return { failures, seen, n };
  }

  const apiContainers = () => db.container.findMany({ where: { teamId: team.id, name: { startsWith: "env--staging--shop-api-" } }, select: { id: true, name: true, state: true, imageId: true } });

  it("replaces a stateless internal service start-first: web calling it by name sees no failure during a deploy and a rollback", async () => {
    expect((await get("/cgi-bin/api")).body.trim()).toBe("api-1");
    const before = await apiContainers();
    expect(before.map((c) => [c.state, c.imageId])).toEqual([["running", images.api]]);
    // v(n): api's new image; web calls api on every request while the deploy runs.
    const next = await release(images.v2!, { api: images.api2 });
    const up = await callApiDuring(() => run(next.id));
    expect(up.failures, `${up.failures.length} of ${up.n} requests failed: ${up.failures.slice(0, 5).join("; ")}`).toEqual([]);
    expect([...up.seen].sort()).toEqual(["api-1", "api-2"]);
    expect((await get("/cgi-bin/api")).body.trim()).toBe("api-2");
    // One api replica now, the new one; the old one is gone.
    const after = await apiContainers();
    expect(after.map((c) => [c.state, c.imageId])).toEqual([["running", images.api2]]);
    expect(after[0]!.id).not.toBe(before[0]!.id);
    expect(lines).toContain(`waiting for ${after[0]!.name} to be ready (it accepts connections on port 9000)`);

    // A rollback (as berth rollback makes one: a new release from the earlier one's digests).
    const back = await release(images.v2!, { api: images.api });
    const down = await callApiDuring(() => run(back.id));
    expect(down.failures, `${down.failures.length} of ${down.n} requests failed: ${down.failures.slice(0, 5).join("; ")}`).toEqual([]);
    expect([...down.seen].sort()).toEqual(["api-1", "api-2"]);
    expect((await get("/cgi-bin/api")).body.trim()).toBe("api-1");
    expect((await apiContainers()).map((c) => [c.state, c.imageId])).toEqual([["running", images.api]]);
    live = back.number;
  }, 600_000);

  it("a stateless service that never becomes ready stops the deploy before traffic moves; its old replica keeps serving", async () => {
    const before = await apiContainers();
    // api2 with a command that exits at once: the new api replica never listens.
    const broken = await release(images.v2!, { api: images.api2, extra: { api: { image: "x", command: ["sh", "-c", "echo no config; exit 3"], expose: ["9000"], stopGracePeriodSec: 1 } } });
    const err = (await run(broken.id).catch((e: unknown) => e)) as Error & { step?: string };
    expect(err).toBeInstanceOf(deploy.ReleaseFailed);
    expect(err.step).toBe("health");
    expect(err.message).toMatch(/service "api" did not become ready: container env--staging--shop-api-1-\w+ (exited \(3\)|stopped running)/);
    expect((await get("/cgi-bin/api")).body.trim()).toBe("api-1");
    expect((await apiContainers()).map((c) => c.id)).toEqual(before.map((c) => c.id));
  }, 600_000);

  it("a failing health check stops the deploy before traffic moves, says why, and the old release keeps serving", async () => {
    const bad = await release(await buildWeb("v3-broken", false), { health: { ...HEALTH, startPeriodMs: 0 } });
    const err = (await run(bad.id).catch((e: unknown) => e)) as Error & { step?: string };
    expect(err).toBeInstanceOf(deploy.ReleaseFailed);
    expect(err.step).toBe("health");
    expect(err.message).toMatch(/failed at "health": service "web" did not become healthy: .*GET \/health.txt on port 8080 answered 404, wanted 200/);
    expect(await db.release.findUniqueOrThrow({ where: { id: bad.id } })).toMatchObject({ state: "failed", error: err.message });
    expect((await db.environment.findUniqueOrThrow({ where: { id: envId } })).liveRelease).toBe(live);
    expect((await get()).body).toMatch(/^v2 /);
    // Its replicas are gone; the live ones still run.
    expect((await webContainers()).map((c) => [c.state, c.imageId])).toEqual([
      ["running", images.v2],
      ["running", images.v2],
    ]);
    const audit = await db.auditEvent.findFirst({ where: { action: "release.deploy", result: "failed" }, orderBy: { id: "desc" } });
    expect(audit?.detail).toBe(err.message);
  }, 300_000);

  it("a service the failed release drops stays (the live release needs it); the next deploy that succeeds removes it", async () => {
    const cacheStates = async () => (await db.container.findMany({ where: { teamId: team.id, name: { startsWith: "env--staging--shop-cache-" } }, select: { state: true } })).map((c) => c.state);
    const cache = { image: "acme/shop/api:x", command: ["sh", "-c", "mkdir -p /srv && echo cache > /srv/index.html && exec httpd -f -p 9100 -h /srv"], expose: ["9100"], stopGracePeriodSec: 1 };
    const withCache = await release(images.v2!, { extra: { cache }, extraImages: { cache: images.api! } });
    // Each successful deploy's watch window ends (the replicas it retained go) before the next step.
    expect(await (await run(withCache.id)).watch).toBe("stable");
    expect(await cacheStates()).toEqual(["running"]);
    // The next release has no cache, and its web never becomes healthy: v(withCache) stays live, whole.
    const bad = await release(await buildWeb("v4-broken", false), { health: { ...HEALTH, startPeriodMs: 0 } });
    await expect(run(bad.id)).rejects.toBeInstanceOf(deploy.ReleaseFailed);
    expect((await db.environment.findUniqueOrThrow({ where: { id: envId } })).liveRelease).toBe(withCache.number);
    expect(await cacheStates()).toEqual(["running"]);
    const without = await release(images.v2!);
    expect(await (await run(without.id)).watch).toBe("stable");
    expect(await cacheStates()).toEqual([]);
    live = without.number;
  }, 600_000);

  it("a release command that exits 1 stops the deploy before traffic moves", async () => {
    const rel = await release(images.v1!, { releaseCommand: "echo migrating for $GREETING; exit 1" });
    const err = (await run(rel.id).catch((e: unknown) => e)) as Error & { step?: string };
    expect(err.step).toBe("release");
    expect(err.message).toMatch(/failed at "release": the release command `echo migrating for \$GREETING; exit 1` exited 1/);
    // It ran with the new release's environment, once, and its output reached the caller.
    expect(lines.filter((l) => l === "  release | migrating for hello-staging")).toHaveLength(1);
    expect((await db.release.findUniqueOrThrow({ where: { id: rel.id } })).state).toBe("failed");
    expect((await get()).body).toMatch(/^v2 /);
    expect((await webContainers()).map((c) => c.imageId)).toEqual([images.v2, images.v2]);
  }, 300_000);

  it("with no check configured, a web service that holds its port but does not answer HTTP is not healthy", async () => {
    const implicit = { kind: "http", path: "/", implicit: true, intervalMs: 200, timeoutMs: 1_000, retries: 2, startPeriodMs: 0 };
    // busybox nc: accepts every connection on 8080 and closes it without a word.
    const rel = await release(images.v1!, { health: implicit, service: { command: ["nc", "-ll", "-p", "8080", "-e", "true"] } });
    const err = (await run(rel.id).catch((e: unknown) => e)) as Error & { step?: string };
    expect(err.step).toBe("health");
    expect(err.message).toMatch(/GET \/ on port 8080: \w+ \(no health check is configured: the service must answer HTTP on its port\)/);
    expect((await get()).body).toMatch(/^v2 /);
  }, 300_000);

  it("a health command that fails in the new replicas stops the deploy, with its output", async () => {
    const command = { kind: "command", test: ["CMD-SHELL", "echo no such file; test -f /www/missing"], intervalMs: 200, timeoutMs: 2_000, retries: 2, startPeriodMs: 0 };
    const rel = await release(images.v2!, { health: command });
    const err = (await run(rel.id).catch((e: unknown) => e)) as Error & { step?: string };
    expect(err.step).toBe("health");
    expect(err.message).toMatch(/did not become healthy: the health command is unhealthy: exit 1, no such file/);
    expect((await get()).body).toMatch(/^v2 /);
    expect((await webContainers()).map((c) => c.state)).toEqual(["running", "running"]);
  }, 300_000);

  it("a health failure after the switch rolls back to the release before by itself, and says so", async () => {
    await db.environment.update({ where: { id: envId }, data: { watchSeconds: 300 } });
    const v5 = await release(await buildWeb("v5"));
    const out = await run(v5.id);
    expect((await get()).body).toMatch(/^v5 /);
    // The release before's replicas wait, stopped, during the watch window.
    expect((await webContainers()).filter((c) => c.imageId === images.v2).map((c) => c.state)).toEqual(["exited", "exited"]);
    // One new replica starts failing its health check.
    const [victim] = (await webContainers()).filter((c) => c.state === "running");
    const rm = await inTeam(["exec", victim!.name, "rm", "/www/health.txt"]);
    expect(rm.code, rm.stderr).toBe(0);
    expect(await out.watch).toBe("rolled-back");
    expect((await get()).body).toMatch(/^v2 /);
    const rolled = await db.release.findUniqueOrThrow({ where: { id: v5.id } });
    expect(rolled.state).toBe("rolled-back");
    expect(rolled.error).toContain(`${victim!.name}: 2 checks in a row failed; the last: GET /health.txt on port 8080 answered 404`);
    expect((await db.release.findFirstOrThrow({ where: { environmentId: envId, number: live } })).state).toBe("live");
    expect((await db.environment.findUniqueOrThrow({ where: { id: envId } })).liveRelease).toBe(live);
    expect((await webContainers()).map((c) => [c.state, c.imageId])).toEqual([
      ["running", images.v2],
      ["running", images.v2],
    ]);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { action: "release.rollback" }, orderBy: { id: "desc" } });
    expect(audit).toMatchObject({ result: "ok", target: `shop staging v${v5.number}`, actorId: null, actorName: "berth (watch window)" });
    expect(audit.detail).toContain(`rolled back to v${live} by itself`);
    const events = await services.redis.xrange("events:recent", "-", "+");
    const rollbacks = events.map(([, f]) => JSON.parse(f[1]!) as { type: string; attributes: Record<string, string> }).filter((e) => e.type === "release.rollback");
    expect(rollbacks.map((e) => e.attributes.state)).toEqual(["started", "rolled-back"]);
  }, 300_000);

  it("waits for the image's own HEALTHCHECK when the release says so", async () => {
    const web = await buildWeb("v7", true, "HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD test -f /www/health.txt\n");
    await db.environment.update({ where: { id: envId }, data: { watchSeconds: 0 } });
    const rel = await release(web, { health: { kind: "image" } });
    const out = await run(rel.id);
    expect(await out.watch).toBe("stable");
    expect(out.number).toBe(rel.number);
    expect(lines).toContain(`waiting for ${(await webContainers()).filter((c) => c.imageId === web).map((c) => c.name).sort().join(", ")} to be healthy (the image's HEALTHCHECK passes)`);
    expect((await get()).body).toMatch(/^v7 /);
  }, 300_000);

  it("a service with a named volume is still replaced stop-first: never two replicas on its volume at once", async () => {
    // db writes a heartbeat to its volume for its whole life; as it starts it notes whether another replica's heartbeat still moves.
    const dbService = (rev: string) => ({
      db: {
        image: "x",
        command: [
          "sh",
          "-c",
          `a=$(cat /data/beat 2>/dev/null); sleep 1; if [ "$(cat /data/beat 2>/dev/null)" = "$a" ]; then echo "alone ${rev}" >> /data/log; else echo "beside another ${rev}" >> /data/log; fi; i=0; while true; do i=$((i+1)); echo "$(hostname) $i" > /data/beat; usleep 100000; done`,
        ],
        volumes: [{ type: "volume", source: "data", target: "/data" }],
        stopGracePeriodSec: 1,
      },
    });
    const withDb = (rev: string) => release(images.v2!, { extra: dbService(rev), extraImages: { db: images.api! }, volumes: { data: {} } });
    expect(await (await run((await withDb("r1")).id)).watch).toBe("stable");
    const first = await db.container.findFirstOrThrow({ where: { teamId: team.id, name: { startsWith: "env--staging--shop-db-" } } });
    await until("the first db to have looked", async () => (await inTeam(["exec", first.name, "cat", "/data/log"])).stdout.includes("alone r1"), 30_000);
    const second = await withDb("r2");
    expect(await (await run(second.id)).watch).toBe("stable");
    const dbs = await db.container.findMany({ where: { teamId: team.id, name: { startsWith: "env--staging--shop-db-" } } });
    expect(dbs.map((c) => c.state)).toEqual(["running"]);
    expect(dbs[0]!.id).not.toBe(first.id);
    // The second db notes what it found a second after it starts: wait for its line, as for the first.
    await until("the second db to have looked", async () => (await inTeam(["exec", dbs[0]!.name, "cat", "/data/log"])).stdout.includes(" r2"), 30_000);
    const log = await inTeam(["exec", dbs[0]!.name, "cat", "/data/log"]);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout.trim().split("\n")).toEqual(["alone r1", "alone r2"]);
  }, 600_000);
});
