/** The registry's view of a signed-in user: who they are and the teams they act in, with their roles. */
import type { PrismaClient } from "@berth/core/db";
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
}

/**
 * Loads the user's memberships (a team-limited token: that team only). The personal team is
 * made if missing, so `alice/x` is alice's from her first push.
 */
export async function loadPrincipal(db: PrismaClient, user: PrincipalUser | null): Promise<Principal> {
  if (!user) return ANONYMOUS;
  const base = { id: user.id, name: user.name, isAdmin: user.isAdmin, readOnly: user.readOnly };
  if (user.teamId) {
    const m = await db.teamMember.findUnique({ where: { teamId_userId: { teamId: user.teamId, userId: user.id } }, include: { team: true } });
    const teams: TeamRole[] = m && isRole(m.role) ? [{ id: m.team.id, name: m.team.name, role: m.role }] : [];
    return { ...base, teams, limitedTo: user.teamId };
  }
  await ensurePersonalTeam(db, user);
  const rows = await db.teamMember.findMany({ where: { userId: user.id }, include: { team: { select: { id: true, name: true } } } });
  const teams: TeamRole[] = [];
  for (const m of rows) if (isRole(m.role)) teams.push({ id: m.team.id, name: m.team.name, role: m.role });
  return { ...base, teams };
}
