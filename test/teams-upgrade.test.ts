import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { ROOT, run, startInstance } from "./harness.js";

/**
 * An install from before teams upgrades in place: the previous migrations make its database,
 * it holds users, tokens, containers, volumes, tags and repositories, then today's
 * `prisma migrate deploy` (what `npm start` runs) brings it forward.
 */

const TEAMS_MIGRATION = "20261206000000_teams";
const require = createRequire(path.join(ROOT, "package.json"));
type Sqlite = { prepare(sql: string): { run(...a: unknown[]): unknown; all(...a: unknown[]): Record<string, unknown>[]; get(...a: unknown[]): Record<string, unknown> | undefined }; exec(sql: string): void; close(): void };
const Database = require("better-sqlite3") as new (file: string) => Sqlite;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-upgrade-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function deploy(env: NodeJS.ProcessEnv, config?: string) {
  const r = await run(process.execPath, [path.join(ROOT, "node_modules/prisma/build/index.js"), "migrate", "deploy", ...(config ? ["--config", config] : [])], { env: { ...process.env, ...env }, timeoutMs: 120_000 });
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

/** A database made by the migrations before `before` (an older release), in `sub` of the test's directory. */
async function previousRelease(before: string, sub: string): Promise<string> {
  const home = path.join(dir, sub);
  const old = path.join(home, "migrations");
  fs.mkdirSync(old, { recursive: true });
  for (const m of fs.readdirSync(path.join(ROOT, "prisma/migrations"))) {
    if (m >= before && m !== "migration_lock.toml") continue;
    fs.cpSync(path.join(ROOT, "prisma/migrations", m), path.join(old, m), { recursive: true });
  }
  const url = `file:${path.join(home, "berth.db")}`;
  const config = path.join(home, "prisma.config.mjs");
  fs.writeFileSync(
    config,
    `import { createRequire } from "node:module";
const require = createRequire(${JSON.stringify(path.join(ROOT, "package.json"))});
const { PrismaBetterSQLite3 } = require("@prisma/adapter-better-sqlite3");
process.env.DATABASE_URL = ${JSON.stringify(url)};
export default { experimental: { adapter: true }, engine: "js", schema: ${JSON.stringify(path.join(ROOT, "prisma/schema.prisma"))}, migrations: { path: ${JSON.stringify(old)} }, adapter: async () => new PrismaBetterSQLite3({ url: ${JSON.stringify(url)} }) };\n`,
  );
  await deploy({ DATABASE_URL: url }, config);
  return path.join(home, "berth.db");
}

describe("repositories left without a team", () => {
  it("go to the team their namespace names, else to the first admin's personal team", async () => {
    const dbFile = await previousRelease("20261206110000_repo_team_backfill", "backfill");
    const db = new Database(dbFile);
    const t0 = Date.parse("2026-12-01T00:00:00Z");
    // Two admins (root is the first, and has no personal team yet), alice with hers, team acme.
    db.prepare(`INSERT INTO "User" (id, name, isAdmin, createdAt) VALUES (?, ?, ?, ?)`).run("u-root", "root", 1, t0);
    db.prepare(`INSERT INTO "User" (id, name, isAdmin, createdAt) VALUES (?, ?, ?, ?)`).run("u-ops", "ops", 1, t0 + 1000);
    db.prepare(`INSERT INTO "User" (id, name, isAdmin, createdAt) VALUES (?, ?, ?, ?)`).run("u-alice", "alice", 0, t0 + 2000);
    for (const [id, name, personal, owner] of [["t-ops", "ops", 1, "u-ops"], ["t-alice", "alice", 1, "u-alice"], ["t-acme", "acme", 0, "u-alice"]] as const) {
      db.prepare(`INSERT INTO "Team" (id, name, personal, createdAt) VALUES (?, ?, ?, ?)`).run(id, name, personal, t0);
      db.prepare(`INSERT INTO "TeamMember" (teamId, userId, role, createdAt) VALUES (?, ?, 'owner', ?)`).run(id, owner, t0);
    }
    const repo = (id: string, name: string, teamId: string | null) =>
      db.prepare(`INSERT INTO "Repository" (id, name, namespace, teamId, ownerId, isPublic, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, 0, ?, ?)`).run(id, name, name.split("/")[0], teamId, "u-alice", t0, t0);
    repo("r1", "acme/api", null);
    repo("r2", "ghost/x", null);
    repo("r3", "alice/app", null);
    repo("r4", "acme/kept", "t-alice");
    db.close();

    await deploy({ DATABASE_URL: `file:${dbFile}`, BERTH_HOME: path.dirname(dbFile) });

    const up = new Database(dbFile);
    const root = up.prepare(`SELECT t.id, t.personal, m.role FROM "Team" t JOIN "TeamMember" m ON m.teamId = t.id WHERE m.userId = 'u-root'`).all();
    expect(root).toEqual([{ id: expect.any(String), personal: 1, role: "owner" }]);
    expect(up.prepare(`SELECT name, teamId FROM "Repository" ORDER BY name`).all()).toEqual([
      { name: "acme/api", teamId: "t-acme" },
      { name: "acme/kept", teamId: "t-alice" },
      { name: "alice/app", teamId: "t-alice" },
      { name: "ghost/x", teamId: root[0]!.id },
    ]);
    expect(up.prepare(`SELECT name FROM "Team" WHERE id = ?`).get(root[0]!.id)).toEqual({ name: "root" });
    up.close();
  }, 180_000);
});

describe("upgrade in place to teams", () => {
  const dbFile = path.join(dir, "berth.db");
  const url = `file:${dbFile}`;

  it("keeps every row, gives users personal teams and the first admin's team the resources", async () => {
    // The previous release: every migration before this one.
    const old = path.join(dir, "migrations");
    fs.mkdirSync(old);
    for (const m of fs.readdirSync(path.join(ROOT, "prisma/migrations"))) {
      if (m >= TEAMS_MIGRATION && m !== "migration_lock.toml") continue;
      fs.cpSync(path.join(ROOT, "prisma/migrations", m), path.join(old, m), { recursive: true });
    }
    const config = path.join(dir, "prisma.config.mjs");
    fs.writeFileSync(
      config,
      `import { createRequire } from "node:module";
const require = createRequire(${JSON.stringify(path.join(ROOT, "package.json"))});
const { PrismaBetterSQLite3 } = require("@prisma/adapter-better-sqlite3");
process.env.DATABASE_URL = ${JSON.stringify(url)};
export default { experimental: { adapter: true }, engine: "js", schema: ${JSON.stringify(path.join(ROOT, "prisma/schema.prisma"))}, migrations: { path: ${JSON.stringify(old)} }, adapter: async () => new PrismaBetterSQLite3({ url: ${JSON.stringify(url)} }) };\n`,
    );
    await deploy({ DATABASE_URL: url }, config);

    const db = new Database(dbFile);
    expect(db.prepare(`SELECT name FROM pragma_table_info('Container') WHERE name = 'teamId'`).all()).toEqual([]);
    // alice is older than the admin, yet the admin's team takes the resources.
    const t0 = Date.parse("2026-11-01T00:00:00Z");
    db.prepare(`INSERT INTO "User" (id, name, isAdmin, createdAt) VALUES (?, ?, ?, ?)`).run("u-alice", "alice", 0, t0);
    db.prepare(`INSERT INTO "User" (id, name, isAdmin, createdAt) VALUES (?, ?, ?, ?)`).run("u-admin", "root", 1, t0 + 1000);
    db.prepare(`INSERT INTO "ApiToken" (id, userId, name, hash, readOnly, createdAt) VALUES (?, ?, ?, ?, ?, ?)`).run("tok1", "u-alice", "laptop", "h1", 0, t0);
    db.prepare(`INSERT INTO "ApiToken" (id, userId, name, hash, readOnly, createdAt) VALUES (?, ?, ?, ?, ?, ?)`).run("tok2", "u-admin", "ci", "h2", 1, t0);
    db.prepare(`INSERT INTO "Host" (id, name, lastSeenAt, createdAt) VALUES (?, ?, ?, ?)`).run("h1", "host", t0, t0);
    db.prepare(`INSERT INTO "Image" (id, manifestDigest, size, createdAt) VALUES (?, ?, ?, ?)`).run("sha256:aa", "sha256:ma", 10, t0);
    db.prepare(`INSERT INTO "ImageTag" (ref, imageId, updatedAt) VALUES (?, ?, ?)`).run("busybox:latest", "sha256:aa", t0);
    db.prepare(`INSERT INTO "ImageTag" (ref, imageId, updatedAt) VALUES (?, ?, ?)`).run("app:1", "sha256:aa", t0);
    db.prepare(`INSERT INTO "Container" (id, name, imageId, imageRef, hostId, cmd, state, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run("c".repeat(64), "web", "sha256:aa", "app:1", "h1", "[]", "exited", t0);
    db.prepare(`INSERT INTO "ContainerRuntime" (containerId, restartCount) VALUES (?, ?)`).run("c".repeat(64), 3);
    db.prepare(`INSERT INTO "Volume" (name, hostId, mountpoint, createdAt) VALUES (?, ?, ?, ?)`).run("data", "h1", "/v/data/_data", t0);
    db.prepare(`INSERT INTO "Repository" (id, name, namespace, ownerId, isPublic, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)`).run("r1", "alice/app", "alice", "u-alice", 0, t0, t0);
    db.prepare(`INSERT INTO "Repository" (id, name, namespace, ownerId, isPublic, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)`).run("r2", "library/base", "library", "u-admin", 1, t0, t0);
    db.close();

    // Today's migrations, as npm start applies them.
    await deploy({ DATABASE_URL: url, BERTH_HOME: dir });

    const up = new Database(dbFile);
    const teams = up.prepare(`SELECT t.id, t.name, t.personal, m.userId, m.role FROM "Team" t JOIN "TeamMember" m ON m.teamId = t.id ORDER BY t.name`).all();
    expect(teams.map((t) => [t.name, t.personal, t.userId, t.role])).toEqual([
      ["alice", 1, "u-alice", "owner"],
      ["root", 1, "u-admin", "owner"],
    ]);
    const teamOf = Object.fromEntries(teams.map((t) => [t.name, t.id]));
    expect(up.prepare(`SELECT name, teamId FROM "Container"`).all()).toEqual([{ name: "web", teamId: teamOf.root }]);
    expect(up.prepare(`SELECT restartCount FROM "ContainerRuntime"`).all()).toEqual([{ restartCount: 3 }]);
    // A volume keeps its name as its id (volumes/<id> is where its data already is) and goes to the admin's team.
    expect(up.prepare(`SELECT id, name, mountpoint, teamId FROM "Volume"`).all()).toEqual([{ id: "data", name: "data", mountpoint: "/v/data/_data", teamId: teamOf.root }]);
    // Volume names are unique within a team: alice may have a `data` of her own, root not a second one.
    up.prepare(`INSERT INTO "Volume" (id, name, hostId, mountpoint, teamId) VALUES ('v2', 'data', 'h1', '/v/v2/_data', ?)`).run(teamOf.alice);
    expect(() => up.prepare(`INSERT INTO "Volume" (id, name, hostId, mountpoint, teamId) VALUES ('v3', 'data', 'h1', '/v/v3/_data', ?)`).run(teamOf.root)).toThrow(/UNIQUE/);
    expect(up.prepare(`SELECT ref, teamId FROM "ImageTag" ORDER BY ref`).all()).toEqual([
      { ref: "app:1", teamId: teamOf.root },
      { ref: "busybox:latest", teamId: null },
    ]);
    expect(up.prepare(`SELECT name, teamId, isPublic FROM "Repository" ORDER BY name`).all()).toEqual([
      { name: "alice/app", teamId: teamOf.alice, isPublic: 0 },
      { name: "library/base", teamId: teamOf.root, isPublic: 1 },
    ]);
    // Tokens keep their power: not limited to a team, read-only as before.
    expect(up.prepare(`SELECT id, teamId, readOnly FROM "ApiToken" ORDER BY id`).all()).toEqual([
      { id: "tok1", teamId: null, readOnly: 0 },
      { id: "tok2", teamId: null, readOnly: 1 },
    ]);
    // Names are unique within a team now, not across the host.
    expect(() => up.prepare(`INSERT INTO "Container" (id, name, teamId, imageId, imageRef, hostId, cmd) VALUES (?, 'web', ?, 'sha256:aa', 'app:1', 'h1', '[]')`).run("d".repeat(64), teamOf.root)).toThrow(/UNIQUE/);
    up.prepare(`INSERT INTO "Container" (id, name, teamId, imageId, imageRef, hostId, cmd) VALUES (?, 'web', ?, 'sha256:aa', 'app:1', 'h1', '[]')`).run("e".repeat(64), teamOf.alice);
    // The audit log takes inserts only.
    up.prepare(`INSERT INTO "AuditEvent" (actorName, action, result) VALUES ('root', 'container.stop', 'ok')`).run();
    expect(() => up.prepare(`UPDATE "AuditEvent" SET result = 'forged'`).run()).toThrow(/append-only/);
    expect(() => up.prepare(`DELETE FROM "AuditEvent"`).run()).toThrow(/append-only/);
    up.close();
  }, 180_000);
});

describe("upgrade in place to team-owned networks", () => {
  it("a network stored before teams goes to the first admin's team when the worker starts; others do not see it", async () => {
    const first = await startInstance();
    let home = first.home;
    try {
      const made = await first.berth(["network", "create", "old-net"]);
      expect(made.code, made.stderr).toBe(0);
      const user = await first.berth(["user", "create", "bob"]);
      expect(user.code, user.stderr).toBe(0);
      const bob = user.stdout.trim();
      await first.stop({ keepHome: true });
      // As a worker from before teams stored it: no team on the record.
      const file = path.join(home, "network", "networks.json");
      const stored = JSON.parse(fs.readFileSync(file, "utf8")) as { networks: { name: string; teamId?: string | null }[] };
      for (const n of stored.networks) delete n.teamId;
      fs.writeFileSync(file, JSON.stringify(stored));

      const second = await startInstance({ home });
      try {
        const names = async (token?: string) => {
          const r = await second.berth(["network", "ls"], token ? { env: { BERTH_TOKEN: token } } : {});
          expect(r.code, r.stderr).toBe(0);
          return r.stdout;
        };
        expect(await names()).toContain("old-net");
        expect(await names(bob)).not.toContain("old-net");
        expect(await names(bob)).toContain("bridge");
        const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { networks: { name: string; teamId?: string | null }[] };
        expect(saved.networks.find((n) => n.name === "bridge")?.teamId).toBeNull();
        expect(saved.networks.find((n) => n.name === "old-net")?.teamId).toMatch(/\S/);
      } finally {
        await second.stop();
        home = "";
      }
    } finally {
      if (home) fs.rmSync(home, { recursive: true, force: true });
    }
  }, 240_000);
});
