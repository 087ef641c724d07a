/**
 * Any change of config makes a new release (issue 17, as Heroku's config:set makes vN+1): on an
 * environment with a live release, `berth env config set|unset` makes a release of the same
 * images with the new config version and deploys it the usual way (health check, then the
 * switch), saying which release and where; `--no-deploy` only stores it for the next release; an
 * environment with nothing deployed just stores it. And `berth promote --release vN` promotes only
 * the release the caller reviewed: if the source moved on meanwhile it is refused.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { ok, refused } from "./cli-result.js";
import { edgeGet } from "./edge-client.js";
import { setUpTeam } from "./team-setup.js";

const b = useInstance();
const TEAM = "acme";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-releases-config-"));
const tokens: Record<string, string> = {};
const as = (user: string, args: string[]) => b.berth(args, { env: { BERTH_TOKEN: tokens[user], BERTH_TEAM: TEAM }, timeoutMs: 300_000 });
let db: Database.Database;
let web = "";
const PROD_URL = () => `http://env--production--shop--${TEAM}.localhost:${b.edgePort}/`;

const agent = new http.Agent({ keepAlive: false });
/** GET / of production through the edge on loopback (an API token: the route is the team's). */
function get(): Promise<{ status: number; body: string }> {
  return edgeGet(b.edgePort, `env--production--shop--${TEAM}.localhost:${b.edgePort}`, { agent, token: tokens.alice });
}

const envId = (name: string) => (db.prepare(`SELECT e.id FROM Environment e JOIN Project p ON p.id = e.projectId WHERE p.name = 'shop' AND e.name = ?`).get(name) as { id: string }).id;

/** staging's live release vN of the web image, as a push to main makes it (the rows written here: promotion and config are what is tested). */
function stagingRelease(n: number): void {
  const id = envId("staging");
  const at = (db.prepare(`SELECT createdAt FROM Environment WHERE id = ?`).get(id) as { createdAt: unknown }).createdAt;
  const project = {
    name: "env--staging--shop",
    workingDir: "env:shop/staging",
    services: { web: { name: "web", image: web, expose: ["8080"], labels: { "berth.web.port": "8080" } } },
    networks: { default: { external: false, labels: {} } },
    volumes: {},
    warnings: [],
  };
  const health = { kind: "http", path: "/health.txt", status: 200, intervalMs: 200, timeoutMs: 2000, retries: 3, startPeriodMs: 5000, implicit: false };
  db.prepare(`UPDATE Release SET state = 'superseded' WHERE environmentId = ? AND state = 'live'`).run(id);
  db.prepare(
    `INSERT INTO Release (id, environmentId, number, images, project, config, configVersion, health, releaseCommand, sha, reason, source, createdById, createdByName, createdAt, state, deployedAt)
     VALUES (?, ?, ?, ?, ?, '{}', 0, ?, NULL, ?, 'push main', NULL, NULL, 'alice', ?, 'live', ?)`,
  ).run(`r-staging-${n}`, id, n, JSON.stringify({ web }), JSON.stringify(project), JSON.stringify(health), String(n).repeat(40), at, at);
  db.prepare(`UPDATE Environment SET liveRelease = ? WHERE id = ?`).run(n, id);
}

type Shown = { number: number; state: string; reason: string; source: string | null; images: Record<string, string>; configVersion: number; config: { key: string; value: string }[] };
const show = async (n: number) => JSON.parse(ok(await as("alice", ["release", "show", "shop", "production", `v${n}`, "--format", "json"]), `release show v${n}`).stdout) as Shown;
const releases = async () => JSON.parse(ok(await as("alice", ["release", "ls", "shop", "production", "--format", "json"]), "release ls").stdout) as { number: number; state: string }[];

beforeAll(async () => {
  Object.assign(tokens, { admin: b.token }, await setUpTeam(b, TEAM, { alice: "member" }));
  ok(await as("alice", ["project", "create", "shop"]), "project create");
  // The page says the MODE the environment's config gives it.
  const ctx = path.join(work, "web");
  fs.mkdirSync(ctx, { recursive: true });
  fs.writeFileSync(
    path.join(ctx, "Dockerfile"),
    `FROM busybox\nRUN mkdir /www && echo ok > /www/health.txt\nEXPOSE 8080\nCMD ["sh", "-c", "echo \\"mode=\${MODE:-none} extra=\${EXTRA:-none}\\" > /www/index.html; exec httpd -f -p 8080 -h /www"]\n`,
  );
  web = ok(await as("alice", ["build", "-q", "-t", `${TEAM}/shop/web:one`, ctx]), "build").stdout.trim();
  db = new Database(path.join(b.home, "berth.db"));
  db.pragma("busy_timeout = 10000");
  ok(await as("alice", ["env", "ls", "shop"]), "env ls (makes the default environments)");
  // No watch window after each deploy (the admin's setting): the next change deploys at once.
  ok(await b.berth(["env", "set", "shop", "production", "--watch", "0"], { env: { BERTH_TEAM: TEAM } }), "env set --watch 0");
  stagingRelease(1);
}, 300_000);

afterAll(() => {
  agent.destroy();
  db?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("a config change makes a release", () => {
  it("with nothing deployed, a change is stored for the first release", async () => {
    const r = ok(await as("alice", ["env", "config", "shop", "production", "set", "MODE=first"]), "config set");
    expect(r.stderr).toBe("shop production: config version 1 (MODE): stored: nothing is deployed in production yet, its first release uses it\n");
    expect(r.stdout).toBe("");
    expect(await releases()).toEqual([]);
    const p = ok(await as("alice", ["promote", "shop", "--from", "staging", "--to", "production", "--release", "v1"]), "promote");
    expect(p.stdout).toBe(`v1 ${PROD_URL()}\n`);
    expect(await get()).toEqual({ status: 200, body: "mode=first extra=none\n" });
  }, 300_000);

  it("on a live environment, set makes a release of the same images with the new config and deploys it", async () => {
    const r = ok(await as("alice", ["env", "config", "shop", "production", "set", "MODE=second"]), "config set");
    expect(r.stdout).toBe(`release v2 is live: ${PROD_URL()}\n`);
    expect(r.stderr).toMatch(/^shop production: config version 2 \(MODE\)\n/);
    expect(r.stderr).toContain("shop production: release v2 (config: set MODE, commit 111111111111, config version 2)");
    expect(await get()).toEqual({ status: 200, body: "mode=second extra=none\n" });
    const [v1, v2] = [await show(1), await show(2)];
    expect(v2).toMatchObject({ state: "live", reason: "config: set MODE", source: "production v1", configVersion: 2 });
    expect(v2.images).toEqual(v1.images);
    expect(v2.config).toEqual([{ key: "MODE", value: "second", secret: false }]);
    expect(v1.state).toBe("superseded");
  }, 300_000);

  it("unset makes one too", async () => {
    const r = ok(await as("alice", ["env", "config", "shop", "production", "unset", "MODE"]), "config unset");
    expect(r.stdout).toBe(`release v3 is live: ${PROD_URL()}\n`);
    expect(await show(3)).toMatchObject({ state: "live", reason: "config: unset MODE", configVersion: 3, config: [] });
    expect(await get()).toEqual({ status: 200, body: "mode=none extra=none\n" });
  }, 300_000);

  it("--no-deploy stores changes for the next release, which then has them all", async () => {
    const held = ok(await as("alice", ["env", "config", "shop", "production", "set", "EXTRA=batched", "--no-deploy"]), "config set --no-deploy");
    expect(held.stderr).toBe("shop production: config version 4 (EXTRA): stored (--no-deploy): the next release uses it\n");
    expect((await releases()).length).toBe(3);
    expect(await get()).toEqual({ status: 200, body: "mode=none extra=none\n" });
    ok(await as("alice", ["env", "config", "shop", "production", "set", "MODE=third"]), "config set");
    expect(await show(4)).toMatchObject({ state: "live", reason: "config: set MODE", configVersion: 5 });
    expect(await get()).toEqual({ status: 200, body: "mode=third extra=batched\n" });
  }, 300_000);
});

describe("promote checks what it promotes", () => {
  it("refuses when the source is no longer at the release reviewed; promotes the one it is at", async () => {
    stagingRelease(2);
    const before = (await releases()).length;
    const r = refused(await as("alice", ["promote", "shop", "--from", "staging", "--to", "production", "--release", "v1"]), "promote a release staging moved on from");
    expect(r.stderr).toContain("staging is now at v2, not v1: review and promote again");
    // The dashboard's dialog sends the release it showed: the same answer, as a failed precondition.
    const res = await fetch(`${b.url}/api/trpc/releases.promote`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tokens.alice}`, "x-berth-team": TEAM },
      body: JSON.stringify({ project: "shop", from: "staging", to: "production", release: 1 }),
    });
    const body = (await res.json()) as { error?: { message: string; data?: { code?: string } } };
    expect(body.error?.data?.code).toBe("PRECONDITION_FAILED");
    expect(body.error?.message).toBe("staging is now at v2, not v1: review and promote again");
    expect((await releases()).length).toBe(before);
    const p = ok(await as("alice", ["promote", "shop", "--from", "staging", "--to", "production", "--release", "v2"]), "promote v2");
    expect(p.stdout).toBe(`v${before + 1} ${PROD_URL()}\n`);
    expect(await show(before + 1)).toMatchObject({ state: "live", source: "staging v2" });
  }, 300_000);
});
