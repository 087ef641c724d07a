/**
 * Environments, their config and releases through the CLI and the API of a real Berth: a new
 * project's staging and production with URLs no preview can have; config per environment,
 * sealed at rest, a secret masked for everyone and never in the audit log; who may do what
 * (viewer reads, member sets config, admin shapes the pipeline); release ls/show/diff by digest;
 * and the images of an environment's last releases surviving `image prune -a` and `rmi`.
 * Promotion and rollback end to end: releases-promote.test.ts.
 */
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTECTED_RELEASES } from "@berth/core";
import { useInstance } from "./harness.js";
import { ok, refused } from "./cli-result.js";
import { setUpTeam } from "./team-setup.js";

const b = useInstance();
const TEAM = "acme";
const tokens: Record<string, string> = {};
const as = (user: string, args: string[]) => b.berth(args, { env: { BERTH_TOKEN: tokens[user], BERTH_TEAM: TEAM } });

/** A tRPC call as `user` in the team, as the dashboard makes it. */
async function api<T>(user: string, proc: string, input: unknown, kind: "query" | "mutation" = "query"): Promise<{ status: number; data?: T; error?: { message: string; data?: { code?: string } } }> {
  const headers = { "content-type": "application/json", authorization: `Bearer ${tokens[user]}`, "x-berth-team": TEAM };
  const res =
    kind === "query"
      ? await fetch(`${b.url}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
      : await fetch(`${b.url}/api/trpc/${proc}`, { method: "POST", headers, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string; data?: { code?: string } } };
  return { status: res.status, ...(body.result ? { data: body.result.data } : {}), ...(body.error ? { error: body.error } : {}) };
}

let db: Database.Database;
const dbFile = () => path.join(b.home, "berth.db");

beforeAll(async () => {
  tokens.admin = b.token;
  Object.assign(tokens, await setUpTeam(b, TEAM, { alice: "member", vera: "viewer", adam: "admin" }));
  ok(await as("alice", ["project", "create", "shop"]), "project create");
  db = new Database(dbFile());
  db.pragma("busy_timeout = 10000");
}, 120_000);

afterAll(() => db?.close());

type Env = { name: string; position: number; branch: string | null; url: string; domains: string[]; replicas: number; memoryBytes: number | null; live: unknown; last: unknown };
const envs = async (user = "alice") => JSON.parse(ok(await as(user, ["env", "ls", "shop", "--format", "json"]), "env ls").stdout) as Env[];
const envId = (name: string) => (db.prepare(`SELECT e.id FROM Environment e JOIN Project p ON p.id = e.projectId WHERE p.name = 'shop' AND e.name = ?`).get(name) as { id: string }).id;

describe("environments", () => {
  it("a new project has staging, following its default branch, then production, by promotion only, each at a URL no preview can have", async () => {
    const rows = await envs("vera");
    expect(rows.map((e) => [e.name, e.position, e.branch])).toEqual([
      ["staging", 1, "main"],
      ["production", 2, null],
    ]);
    expect(rows.map((e) => e.url)).toEqual([`http://env--staging--shop--${TEAM}.localhost:${b.edgePort}/`, `http://env--production--shop--${TEAM}.localhost:${b.edgePort}/`]);
    expect(rows.every((e) => e.live === null && e.last === null)).toBe(true);
    const table = ok(await as("vera", ["env", "ls", "shop"]), "env ls").stdout;
    expect(table).toMatch(/^staging +main +- +- +1 +http:\/\/env--staging--shop--acme\.localhost/m);
    expect(table).toMatch(/^production +\(promotion\) +-/m);
  });

  it("a project made before environments gets the defaults the first time they are asked for", async () => {
    ok(await as("alice", ["project", "create", "old"]), "project create old");
    db.prepare(`DELETE FROM Environment WHERE projectId = (SELECT id FROM Project WHERE name = 'old')`).run();
    const rows = JSON.parse(ok(await as("alice", ["env", "ls", "old", "--format", "json"]), "env ls old").stdout) as Env[];
    expect(rows.map((e) => e.name)).toEqual(["staging", "production"]);
  });

  it("an admin adds, places, changes and removes environments; a member and a viewer may not", async () => {
    refused(await as("alice", ["env", "create", "shop", "qa"]), "member env create");
    refused(await as("vera", ["env", "set", "shop", "staging", "--replicas", "2"]), "viewer env set");
    ok(await as("adam", ["env", "create", "shop", "qa", "--branch", "develop", "--position", "2"]), "env create qa");
    expect((await envs()).map((e) => [e.name, e.position, e.branch])).toEqual([
      ["staging", 1, "main"],
      ["qa", 2, "develop"],
      ["production", 3, null],
    ]);
    refused(await as("adam", ["env", "create", "shop", "Bad--name"]), "a name with -- cannot be a host label");
    refused(await as("adam", ["env", "create", "shop", "qa"]), "a second qa");
    ok(await as("adam", ["env", "set", "shop", "qa", "--replicas", "2", "--memory", "256m", "--no-branch"]), "env set");
    const qa = (await envs()).find((e) => e.name === "qa")!;
    expect([qa.replicas, qa.memoryBytes, qa.branch]).toEqual([2, 256 * 1024 * 1024, null]);
    // Domains of its own: a host name, not under Berth's domain, and no other environment's.
    ok(await as("adam", ["env", "set", "shop", "production", "--domains", "Shop.Example.com,www.shop.example.com"]), "env set --domains");
    expect((await envs()).find((e) => e.name === "production")!.domains).toEqual(["shop.example.com", "www.shop.example.com"]);
    expect(refused(await as("adam", ["env", "set", "shop", "qa", "--domains", "shop.example.com"]), "a taken domain").stderr).toMatch(/already belongs to another environment/);
    refused(await as("adam", ["env", "set", "shop", "qa", "--domains", "x--shop--acme.localhost"]), "a name under Berth's domain");
    refused(await as("adam", ["env", "set", "shop", "qa", "--domains", "not a host"]), "not a host name");
    ok(await as("adam", ["env", "set", "shop", "production", "--domains", ""]), "env set --domains ''");
    expect((await envs()).find((e) => e.name === "production")!.domains).toEqual([]);
    refused(await as("alice", ["env", "rm", "shop", "qa"]), "member env rm");
    ok(await as("adam", ["env", "rm", "shop", "qa"]), "env rm");
    expect((await envs()).map((e) => [e.name, e.position])).toEqual([
      ["staging", 1],
      ["production", 3],
    ]);
  });
});

describe("config", () => {
  it("each environment has its own; a secret reads masked for everyone, CLI and API, and is sealed at rest", async () => {
    const set1 = ok(await as("alice", ["env", "config", "shop", "production", "set", "API_URL=https://api.example.com", "MODE=prod"]), "config set");
    expect(set1.stderr).toMatch(/config version 1 \(API_URL, MODE\)/);
    const set2 = ok(await as("alice", ["env", "config", "shop", "production", "set", "DB_PASSWORD=hunter2-prod", "--secret"]), "config set secret");
    expect(set2.stderr).toMatch(/config version 2/);
    ok(await as("alice", ["env", "config", "shop", "staging", "set", "MODE=staging"]), "staging config");

    for (const user of ["alice", "vera", "admin"]) {
      const list = ok(await as(user, ["env", "config", "shop", "production"]), `config as ${user}`).stdout;
      expect(list).toMatch(/^API_URL +https:\/\/api\.example\.com +no/m);
      expect(list).toMatch(/^DB_PASSWORD +•+ +yes/m);
      expect(list).not.toContain("hunter2");
      expect(ok(await as(user, ["env", "config", "shop", "production", "get", "DB_PASSWORD"]), "get").stdout).toBe("••••••••\n");
      const viaApi = await api<{ key: string; value: string; secret: boolean }[]>(user, "environments.config", { project: "shop", env: "production" });
      expect(viaApi.data?.find((c) => c.key === "DB_PASSWORD")).toMatchObject({ value: "••••••••", secret: true });
      expect(JSON.stringify(viaApi)).not.toContain("hunter2");
    }
    expect(ok(await as("vera", ["env", "config", "shop", "production", "get", "MODE"]), "get MODE").stdout).toBe("prod\n");
    expect(ok(await as("vera", ["env", "config", "shop", "staging", "get", "MODE"]), "get staging MODE").stdout).toBe("staging\n");

    // At rest: sealed values only (never the plaintext), bound to their environment.
    const rows = db.prepare(`SELECT key, value, secret FROM EnvironmentVariable WHERE environmentId = ?`).all(envId("production")) as { key: string; value: string }[];
    expect(rows.map((r) => r.key).sort()).toEqual(["API_URL", "DB_PASSWORD", "MODE"]);
    for (const r of rows) {
      expect(r.value).toMatch(/^v1:[0-9a-f]{8}:/);
      expect(r.value).not.toMatch(/hunter2|api\.example|prod/);
    }
    const version = () => (db.prepare(`SELECT configVersion FROM Environment WHERE id = ?`).get(envId("production")) as { configVersion: number }).configVersion;
    expect(version()).toBe(2);
    ok(await as("alice", ["env", "config", "shop", "production", "unset", "MODE"]), "unset");
    expect(version()).toBe(3);
    refused(await as("alice", ["env", "config", "shop", "production", "get", "MODE"]), "get an unset key");
    refused(await as("alice", ["env", "config", "shop", "production", "unset", "NOPE"]), "unset a key never set");
    refused(await as("alice", ["env", "config", "shop", "production", "set", "1BAD=x"]), "a bad key");
  });

  it("a viewer can neither set nor unset config, promote nor roll back; nothing changes", async () => {
    const config = async () => ok(await as("vera", ["env", "config", "shop", "production", "--format", "json"]), "config").stdout;
    const before = await config();
    expect(refused(await as("vera", ["env", "config", "shop", "production", "set", "API_URL=https://evil.example"]), "viewer set").stderr).toMatch(/refused: you are a viewer/);
    refused(await as("vera", ["env", "config", "shop", "production", "unset", "API_URL"]), "viewer unset");
    refused(await as("vera", ["promote", "shop", "--from", "staging", "--to", "production"]), "viewer promote");
    refused(await as("vera", ["rollback", "shop", "production", "v1"]), "viewer rollback");
    const r = await api(
      "vera",
      "environments.setConfig",
      { project: "shop", env: "production", values: { API_URL: "x" } },
      "mutation",
    );
    expect(r.error?.data?.code).toBe("FORBIDDEN");
    const p = await api("vera", "releases.promote", { project: "shop", from: "staging", to: "production" }, "mutation");
    expect(p.error?.data?.code).toBe("FORBIDDEN");
    const rb = await api("vera", "releases.rollback", { project: "shop", env: "production", to: 1 }, "mutation");
    expect(rb.error?.data?.code).toBe("FORBIDDEN");
    expect(await config()).toBe(before);
  });

  it("every change is in the audit log by key, with no value; and in the team's events", async () => {
    const audit = ok(await b.berth(["audit", "--all", "--json"]), "audit").stdout;
    const rows = audit
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; target: string; result: string; actor: string });
    expect(rows.find((r) => r.action === "environments.setConfig" && r.target.includes("DB_PASSWORD"))).toMatchObject({ actor: "alice", result: "ok", target: "shop production DB_PASSWORD" });
    expect(rows.find((r) => r.action === "environments.unsetConfig")).toMatchObject({ actor: "alice", result: "ok", target: "shop production MODE" });
    expect(rows.some((r) => r.action === "environments.setConfig" && r.actor === "vera" && r.result === "PermissionDenied")).toBe(true);
    expect(rows.some((r) => r.action === "releases.promote" && r.actor === "vera" && r.result === "PermissionDenied")).toBe(true);
    expect(audit).not.toMatch(/hunter2|api\.example\.com/);
    const events = ok(await as("alice", ["events", "--since", "10m", "--until", "0s"]), "events").stdout;
    expect(events).toMatch(/environment config shop\/production .*set=DB_PASSWORD/);
    expect(events).toMatch(/environment create shop\/qa/);
    expect(events).not.toContain("hunter2");
  });
});

describe("releases", () => {
  /** A committed image in the team (distinct content each time), tagged `ref`; its id. */
  async function image(ref: string, text: string): Promise<string> {
    const name = `mk-${text}`;
    ok(await as("alice", ["run", "--name", name, "busybox", "sh", "-c", `echo ${text} > /v`]), "run");
    ok(await as("alice", ["commit", name, ref]), "commit");
    ok(await as("alice", ["rm", name]), "rm");
    return ok(await as("alice", ["image", "inspect", ref, "--format", "{{.Id}}"]), "inspect").stdout.trim();
  }

  /** A release row as the release code writes it (promotion and deploys are releases-promote.test.ts's). */
  function insertRelease(env: string, number: number, images: Record<string, string>, extra: { releaseCommand?: string; state?: string } = {}) {
    const at = (db.prepare(`SELECT createdAt FROM Environment WHERE id = ?`).get(envId(env)) as { createdAt: unknown }).createdAt;
    const project = { name: `env--${env}--shop`, workingDir: `env:shop/${env}`, services: Object.fromEntries(Object.entries(images).map(([s, id]) => [s, { name: s, image: id }])), networks: {}, volumes: {} };
    db.prepare(
      `INSERT INTO Release (id, environmentId, number, images, project, config, configVersion, health, releaseCommand, sha, reason, source, createdById, createdByName, createdAt, state)
       VALUES (?, ?, ?, ?, ?, '{}', 0, ?, ?, ?, ?, NULL, NULL, 'alice', ?, ?)`,
    ).run(`r-${env}-${number}`, envId(env), number, JSON.stringify(images), JSON.stringify(project), JSON.stringify({ kind: "http", path: "/", implicit: true, intervalMs: 1000, timeoutMs: 5000, retries: 3, startPeriodMs: 60000 }), extra.releaseCommand ?? null, "a".repeat(40), `test v${number}`, at, extra.state ?? "superseded");
  }

  let one = "";
  let two = "";
  let other = "";

  it("release ls shows each release's digests (--no-trunc in full), show one release, diff two", async () => {
    one = await image(`${TEAM}/shop/web:one`, "one");
    two = await image(`${TEAM}/shop/web:two`, "two");
    other = await image(`${TEAM}/shop/web:other`, "other");
    insertRelease("production", 1, { web: one });
    insertRelease("production", 2, { web: two }, { releaseCommand: "./migrate" });
    const ls = ok(await as("vera", ["release", "ls", "shop", "production"]), "release ls").stdout.split("\n");
    expect(ls[0]).toMatch(/^RELEASE +STATE +IMAGES +COMMIT/);
    expect(ls[1]).toMatch(new RegExp(`^v2 +superseded +web=${two.slice(7, 19)} +aaaaaaaaaaaa `));
    expect(ls[2]).toMatch(new RegExp(`^v1 +superseded +web=${one.slice(7, 19)} `));
    expect(ls.join("\n")).not.toContain(one);
    const full = ok(await as("vera", ["release", "ls", "shop", "production", "--no-trunc"]), "release ls --no-trunc").stdout;
    expect(full).toContain(`web=${one}`);
    expect(full).toContain(`web=${two}`);
    const show = ok(await as("vera", ["release", "show", "shop", "production", "v2"]), "release show").stdout;
    expect(show).toContain(`web  ${two}`);
    expect(show).toMatch(/release command: \.\/migrate/);
    const diff = ok(await as("vera", ["release", "diff", "shop", "production", "v1", "v2"]), "release diff").stdout;
    expect(diff).toBe(`image web: ${one} -> ${two}\nrelease command: (none) -> ./migrate\n`);
    expect(refused(await as("vera", ["release", "show", "shop", "production", "v9"]), "no v9").stderr).toMatch(/no release v9/);
    const viaApi = await api<{ number: number; images: Record<string, string> }[]>("vera", "releases.list", { project: "shop", env: "production" });
    expect(viaApi.data?.map((r) => [r.number, r.images.web])).toEqual([
      [2, two],
      [1, one],
    ]);
  });

  it(`keeps the images of an environment's last ${PROTECTED_RELEASES} releases through image prune -a and rmi`, async () => {
    // The site admin sees every image by id, tagged or not.
    const exists = async (id: string) => (await b.berth(["image", "inspect", id, "--format", "{{.Id}}"])).code === 0;
    refused(await as("alice", ["rmi", `${TEAM}/shop/web:one`]), "rmi of a release's image");
    expect((await as("alice", ["rmi", `${TEAM}/shop/web:one`])).stderr).toMatch(/release shop production v1 holds it/);
    ok(await b.berth(["image", "prune", "-a", "-f"]), "image prune -a");
    expect(await exists(one)).toBe(true);
    expect(await exists(two)).toBe(true);
    // Prune works: an image no release holds is gone.
    expect(await exists(other)).toBe(false);
    // Forced, the tag goes but the image stays for a rollback.
    ok(await as("alice", ["rmi", "-f", `${TEAM}/shop/web:one`]), "rmi -f");
    expect(await exists(one)).toBe(true);
    // Once PROTECTED_RELEASES newer releases exist, v1's image is no longer held (v2's still is).
    for (let n = 3; n < 3 + PROTECTED_RELEASES; n++) insertRelease("production", n, { web: two });
    ok(await b.berth(["image", "prune", "-a", "-f"]), "image prune -a again");
    expect(await exists(one)).toBe(false);
    expect(await exists(two)).toBe(true);
  }, 180_000);
});
