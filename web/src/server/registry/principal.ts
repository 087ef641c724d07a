/** The registry's view of a signed-in user: who they are and the teams they act in, with their roles. */
import type { PrismaClient } from "@berth/core/db";
import { authCacheFor } from "../auth/cache.js";
import { ensurePersonalTeam } from "../policy/actor.js";
import { isRole } from "../policy/roles.js";
import { ANONYMOUS, type Principal, type TeamRole } from "./access.js";

export interface PrincipalUser {
  id: string;
  name: string;
  isAdmin: boolean;
  readOnly: boolean;
  /** An API token limited to this team. */
  teamId?: string | null;
  /** The API token the user came with, if any: registry tokens made for it die with it. */
  tokenId?: string | null;
}

/** Who the principal of these rights is: the same user through the same kind of credential gets the same answer. */
const principalKey = (id: string, readOnly: boolean, teamId: string | null | undefined, tokenId: string | null | undefined) =>
  `principal:${id}|${readOnly ? 1 : 0}|${teamId ?? ""}|${tokenId ?? ""}`;

interface MembershipRow {
  role: string;
  team: { id: string; name: string; personal: boolean };
}

function toPrincipal(user: PrincipalUser, rows: MembershipRow[]): Principal {
  const base = { id: user.id, name: user.name, isAdmin: user.isAdmin, readOnly: user.readOnly, ...(user.tokenId ? { tokenId: user.tokenId } : {}) };
  const teams: TeamRole[] = [];
  for (const m of rows) {
    if (user.teamId && m.team.id !== user.teamId) continue;
    if (isRole(m.role)) teams.push({ id: m.team.id, name: m.team.name, role: m.role });
  }
  return user.teamId ? { ...base, teams, limitedTo: user.teamId } : { ...base, teams };
}

/** A user without a personal team gets one (rare: users from before teams): then their memberships again. */
async function withPersonalTeam(db: PrismaClient, user: PrincipalUser, rows: MembershipRow[]): Promise<MembershipRow[]> {
  if (user.teamId || rows.some((m) => m.team.personal)) return rows;
  await ensurePersonalTeam(db, user);
  return memberships(db, user.id, null);
}

interface MembershipJoinRow {
  role: string;
  teamId: string;
  teamName: string;
  personal: unknown;
}

/**
 * The user's memberships with their teams (one team's, for a team-limited token): one plain join,
 * as every registry token exchange and direct-credential request makes one, and a Prisma
 * relation load costs several times the SQL.
 */
async function memberships(db: PrismaClient, userId: string, teamId: string | null): Promise<MembershipRow[]> {
  const rows = teamId
    ? await db.$queryRaw<MembershipJoinRow[]>`
        SELECT m."role", t."id" AS "teamId", t."name" AS "teamName", t."personal"
        FROM "TeamMember" m JOIN "Team" t ON t."id" = m."teamId" WHERE m."userId" = ${userId} AND m."teamId" = ${teamId}`
    : await db.$queryRaw<MembershipJoinRow[]>`
        SELECT m."role", t."id" AS "teamId", t."name" AS "teamName", t."personal"
        FROM "TeamMember" m JOIN "Team" t ON t."id" = m."teamId" WHERE m."userId" = ${userId}`;
  return rows.map((r) => ({ role: r.role, team: { id: r.teamId, name: r.teamName, personal: Boolean(r.personal) } }));
}

/**
 * Loads the user's memberships (a team-limited token: that team only). The personal team is
 * made if missing, so `alice/x` is alice's from her first push.
 */
export async function loadPrincipal(db: PrismaClient, user: PrincipalUser | null): Promise<Principal> {
  if (!user) return ANONYMOUS;
  // Kept briefly (auth/cache.ts): the registry requests that follow a token exchange find it here.
  const p = await authCacheFor(db).get(principalKey(user.id, user.readOnly, user.teamId, user.tokenId), async () => {
    const rows = await memberships(db, user.id, user.teamId ?? null);
    return toPrincipal(user, await withPersonalTeam(db, user, rows));
  });
  return p!;
}

interface UserMembershipRow {
  id: string;
  name: string;
  isAdmin: unknown;
  role: string | null;
  teamId: string | null;
  teamName: string | null;
  personal: unknown;
}

/**
 * The principal of a registry token's user id, with its current rights. Every request of a push
 * carries the token, so this runs per HEAD: from memory while nothing changed (auth/cache.ts
 * forgets it at any write to users, tokens, teams or memberships), else one plain join. Null if
 * the user is gone, or the API token the registry token was made for was revoked.
 */
export function loadPrincipalById(db: PrismaClient, id: string, opts: { readOnly: boolean; teamId: string | null; tokenId?: string | null }): Promise<Principal | null> {
  return authCacheFor(db).get(principalKey(id, opts.readOnly, opts.teamId, opts.tokenId), () => readPrincipalById(db, id, opts));
}

async function readPrincipalById(db: PrismaClient, id: string, opts: { readOnly: boolean; teamId: string | null; tokenId?: string | null }): Promise<Principal | null> {
  const tokenId = opts.tokenId ?? null;
  const rows = await db.$queryRaw<UserMembershipRow[]>`
    SELECT u."id", u."name", u."isAdmin", m."role", t."id" AS "teamId", t."name" AS "teamName", t."personal"
    FROM "User" u LEFT JOIN "TeamMember" m ON m."userId" = u."id" LEFT JOIN "Team" t ON t."id" = m."teamId"
    WHERE u."id" = ${id} AND (${tokenId} IS NULL OR EXISTS (SELECT 1 FROM "ApiToken" k WHERE k."id" = ${tokenId} AND k."userId" = u."id"))`;
  const first = rows[0];
  if (!first) return null;
  const memberships: MembershipRow[] = [];
  for (const r of rows) {
    if (r.role !== null && r.teamId !== null && r.teamName !== null) memberships.push({ role: r.role, team: { id: r.teamId, name: r.teamName, personal: Boolean(r.personal) } });
  }
  const user: PrincipalUser = { id: first.id, name: first.name, isAdmin: Boolean(first.isAdmin), readOnly: opts.readOnly, teamId: opts.teamId, tokenId };
  return toPrincipal(user, await withPersonalTeam(db, user, memberships));
}
