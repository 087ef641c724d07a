import { NotFound } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import type { AuthUser } from "../auth/index.js";
import { newRowId } from "../auth/crypto.js";
import { isRole, type Role } from "./roles.js";

/** Who is acting, and in which team: built once per request from the caller and the team it names. */
export interface Actor {
  userId: string;
  userName: string;
  siteAdmin: boolean;
  readOnly: boolean;
  team: { id: string; name: string; personal: boolean };
  /** The caller's role in `team`; null for a site admin acting in a team they are not in. */
  role: Role | null;
}

/** The header the CLI and API name the current team with (`--team`, BERTH_TEAM, `berth team use`). */
export const TEAM_HEADER = "x-berth-team";

export function teamFromHeaders(headers: Record<string, string | string[] | undefined>): string | undefined {
  const v = headers[TEAM_HEADER];
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s ? s : undefined;
}

/**
 * Personal teams by user id. A personal team never changes hands, is never renamed and cannot be
 * removed (only renamed with its user at set-up: forgetPersonalTeam), so once known it is
 * kept: most requests (the CLI with no --team) then resolve their actor with no query at all.
 * Bounded; a deleted user's entry is never reached (their credentials no longer authenticate).
 */
const personalTeams = new Map<string, { id: string; name: string; personal: boolean }>();
const PERSONAL_CACHE_MAX = 50_000;
function rememberPersonal(userId: string, team: { id: string; name: string; personal: boolean }): void {
  if (personalTeams.has(userId)) return;
  if (personalTeams.size >= PERSONAL_CACHE_MAX) personalTeams.clear();
  personalTeams.set(userId, pick(team));
}

/** Drops a user's remembered personal team (its name changed). */
export function forgetPersonalTeam(userId: string): void {
  personalTeams.delete(userId);
}

/** The user's personal team (made now if missing: the admin of a fresh install, a user from before teams). */
export async function ensurePersonalTeam(db: PrismaClient, user: { id: string; name: string }): Promise<{ id: string; name: string; personal: boolean }> {
  const m = await db.teamMember.findFirst({ where: { userId: user.id, team: { personal: true } }, select: { team: true } });
  if (m) return m.team;
  // A personal team of this name with no one in it (the migration made it for rows older than any user): theirs.
  const orphan = await db.team.findFirst({ where: { name: user.name, personal: true, members: { none: {} } } });
  if (orphan) {
    await db.teamMember.create({ data: { teamId: orphan.id, userId: user.id, role: "owner" } });
    return orphan;
  }
  const id = newRowId();
  return db.$transaction(async (tx) => {
    const team = await tx.team.create({ data: { id, name: user.name, personal: true } });
    await tx.teamMember.create({ data: { teamId: team.id, userId: user.id, role: "owner" } });
    return team;
  });
}

/**
 * The actor for a request. `teamName` (the team header) picks the team; without it, a token
 * limited to a team acts there, anything else in the user's personal team. A team the caller
 * is not in answers NotFound (the site admin may act in any team).
 */
export async function actorFor(db: PrismaClient, user: AuthUser, teamName?: string): Promise<Actor> {
  const base = { userId: user.id, userName: user.name, siteAdmin: user.isAdmin, readOnly: user.readOnly };
  const missing = () => new NotFound(`team ${teamName} not found (or you are not a member): see berth team ls`);
  if (user.teamId) {
    const m = await db.teamMember.findUnique({ where: { teamId_userId: { teamId: user.teamId, userId: user.id } }, include: { team: true } });
    const team = m?.team ?? (user.isAdmin ? await db.team.findUnique({ where: { id: user.teamId } }) : null);
    if (!team || (teamName !== undefined && team.name !== teamName)) throw missing();
    return { ...base, team: pick(team), role: m && isRole(m.role) ? m.role : null };
  }
  if (teamName === undefined) {
    const team = personalTeams.get(user.id) ?? (await ensurePersonalTeam(db, user));
    rememberPersonal(user.id, team);
    return { ...base, team: pick(team), role: "owner" };
  }
  const m = await db.teamMember.findFirst({ where: { userId: user.id, team: { name: teamName } }, include: { team: true } });
  if (m) return { ...base, team: pick(m.team), role: isRole(m.role) ? m.role : null };
  if (user.isAdmin) {
    const team = await db.team.findUnique({ where: { name: teamName } });
    if (team) return { ...base, team: pick(team), role: null };
  }
  throw missing();
}

const pick = (t: { id: string; name: string; personal: boolean }) => ({ id: t.id, name: t.name, personal: t.personal });
