import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, useInstance, type RunResult } from "./harness.js";

/**
 * Invitation links, through the real CLI: alice owns team acme and invites; bob and carol
 * join with the link; mel, a plain member of acme, may not invite. A link works once and
 * not after it expires.
 */
const b = useInstance();
const require = createRequire(path.join(ROOT, "package.json"));
type Sqlite = { prepare(sql: string): { run(...a: unknown[]): { changes: number }; all(...a: unknown[]): Record<string, unknown>[] }; close(): void };
const Database = require("better-sqlite3") as new (file: string) => Sqlite;

type Berth = (args: string[]) => Promise<RunResult>;
const users: Record<string, Berth> = {};

beforeAll(async () => {
  for (const name of ["alice", "bob", "carol", "mel"]) {
    const r = await b.berth(["user", "create", name]);
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    users[name] = (args) => b.berth(args, { env: { BERTH_TOKEN: token, BERTH_TEAM: "", XDG_CONFIG_HOME: `${b.home}/cfg-${name}` } });
  }
  expect((await users.alice!(["team", "create", "acme"])).code).toBe(0);
  const add = await users.alice!(["team", "add", "acme", "mel", "--role", "member"]);
  expect(add.code, add.stderr).toBe(0);
}, 60_000);

async function invite(role: string, ttl = "24h"): Promise<string> {
  const r = await users.alice!(["team", "invite", "acme", "--role", role, "--ttl", ttl]);
  expect(r.code, r.stderr).toBe(0);
  const link = r.stdout.trim();
  expect(link).toMatch(new RegExp(`^${b.url}/invite/bti_[A-Za-z0-9_-]{43}$`));
  return link;
}

describe("team invitations", () => {
  it("joins the user who accepts with the invitation's role; a second use is refused", async () => {
    const link = await invite("admin");
    const join = await users.bob!(["team", "join", link]);
    expect(join.code, join.stderr).toBe(0);
    expect(join.stdout).toContain("joined team acme as admin");
    const members = await users.alice!(["team", "members", "acme"]);
    expect(members.stdout).toMatch(/bob\s+admin/);
    // bob acts in acme now, with the role's powers (admins invite).
    expect((await users.bob!(["team", "invite", "acme", "--role", "viewer"])).code).toBe(0);

    const again = await users.carol!(["team", "join", link]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/invitation to team acme was already used/);
    expect((await users.alice!(["team", "members", "acme"])).stdout).not.toMatch(/carol/);
  });

  it("stores only a hash of the token", async () => {
    const link = await invite("viewer");
    const token = link.split("/invite/")[1]!;
    const db = new Database(path.join(b.home, "berth.db"));
    try {
      const rows = db.prepare("SELECT * FROM TeamInvitation").all();
      expect(rows.filter((r) => r.hash === createHash("sha256").update(token).digest("hex"))).toHaveLength(1);
      // The secret part appears in no column of any row.
      expect(JSON.stringify(rows)).not.toContain(token.slice(4));
    } finally {
      db.close();
    }
  });

  it("refuses an expired invitation", async () => {
    const link = await invite("member");
    const token = link.split("/invite/")[1]!;
    // Its expiry moved to its creation time: expired, without waiting.
    const db = new Database(path.join(b.home, "berth.db"));
    try {
      expect(db.prepare("UPDATE TeamInvitation SET expiresAt = createdAt WHERE hash = ?").run(createHash("sha256").update(token).digest("hex")).changes).toBe(1);
    } finally {
      db.close();
    }
    const r = await users.carol!(["team", "join", token]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invitation to team acme expired at/);
    expect((await users.alice!(["team", "members", "acme"])).stdout).not.toMatch(/carol/);
  });

  it("refuses a token that was never issued", async () => {
    const r = await users.carol!(["team", "join", "bti_not-a-real-token"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invitation not found/);
  });

  it("refuses invitations from a plain member, and above the inviter's role", async () => {
    const r = await users.mel!(["team", "invite", "acme", "--role", "member"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/team\.invite is refused: you are a member of team acme/);
    const bobOwner = await users.bob!(["team", "invite", "acme", "--role", "owner"]);
    expect(bobOwner.code).not.toBe(0);
    expect(bobOwner.stderr).toMatch(/you cannot invite as owner/);
  });

  it("serves the invitation page, which joins only on the Join button", async () => {
    const link = await invite("viewer");
    const res = await fetch(link);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Loading");
    // Opening the page spent nothing: the link still works.
    const join = await users.carol!(["team", "join", link]);
    expect(join.code, join.stderr).toBe(0);
    expect(join.stdout).toContain("joined team acme as viewer");
  });

  it("refuses a bad --ttl before asking the server", async () => {
    const r = await users.alice!(["team", "invite", "acme", "--ttl", "soon"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid --ttl "soon"/);
  });
});
