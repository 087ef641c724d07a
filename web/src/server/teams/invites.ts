import { FailedPrecondition, InvalidArgument, NotFound, PermissionDenied } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { newRowId, randomSecret, sha256Hex } from "../auth/crypto.js";
import { effectiveRole, roleRank, type Actor, type Role } from "../policy/index.js";

/**
 * One-time invitation links: `team invite` makes a random token and stores only its SHA-256,
 * so the table alone lets no one join. The first signed-in user to present it before it
 * expires joins the team with the invitation's role; then it is spent.
 */

export const INVITE_PREFIX = "bti_";
/** Longest an invitation may live: a week (a link is a bearer secret). */
export const MAX_INVITE_TTL_SECONDS = 7 * 24 * 3600;

export interface Invitation {
  team: string;
  role: Role;
  token: string;
  expiresAt: string;
}

export async function createInvitation(db: PrismaClient, actor: Actor, role: Role, ttlSeconds: number): Promise<Invitation> {
  if (actor.team.personal) throw new FailedPrecondition(`${actor.team.name} is a personal team: create a team (berth team create NAME) to invite others`);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > MAX_INVITE_TTL_SECONDS) {
    throw new InvalidArgument(`invitation lifetime ${ttlSeconds}s is out of range: use 1m to 7d (e.g. --ttl 24h)`);
  }
  const mine = effectiveRole(actor);
  if (!mine || roleRank(role) > roleRank(mine)) throw new PermissionDenied(`you are ${mine ?? "not a member"} of team ${actor.team.name}: you cannot invite as ${role}`);
  const token = randomSecret(INVITE_PREFIX);
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await db.teamInvitation.create({ data: { id: newRowId(), teamId: actor.team.id, role, hash: sha256Hex(token), createdById: actor.userId, expiresAt } });
  return { team: actor.team.name, role, token, expiresAt: expiresAt.toISOString() };
}

/**
 * Spends the invitation and makes `userId` a member with its role (a member who already holds
 * a higher role keeps it). Marking it used is a conditional update, so two accepts race safely.
 */
export async function acceptInvitation(db: PrismaClient, userId: string, token: string): Promise<{ team: string; teamId: string; role: Role }> {
  const inv = await db.teamInvitation.findUnique({ where: { hash: sha256Hex(token.trim()) }, include: { team: { select: { name: true } } } });
  if (!inv) throw new NotFound("invitation not found: the link is wrong or its team was removed");
  if (inv.usedAt) throw new FailedPrecondition(`this invitation to team ${inv.team.name} was already used (${inv.usedAt.toISOString()}): ask a team admin for a new one`);
  if (inv.expiresAt.getTime() <= Date.now()) throw new FailedPrecondition(`this invitation to team ${inv.team.name} expired at ${inv.expiresAt.toISOString()}: ask a team admin for a new one`);
  const role = inv.role as Role;
  return db.$transaction(async (tx) => {
    const spent = await tx.teamInvitation.updateMany({ where: { id: inv.id, usedAt: null }, data: { usedAt: new Date(), usedById: userId } });
    if (spent.count !== 1) throw new FailedPrecondition(`this invitation to team ${inv.team.name} was already used: ask a team admin for a new one`);
    const current = await tx.teamMember.findUnique({ where: { teamId_userId: { teamId: inv.teamId, userId } } });
    if (current && roleRank(current.role as Role) >= roleRank(role)) return { team: inv.team.name, teamId: inv.teamId, role: current.role as Role };
    await tx.teamMember.upsert({ where: { teamId_userId: { teamId: inv.teamId, userId } }, create: { teamId: inv.teamId, userId, role }, update: { role } });
    return { team: inv.team.name, teamId: inv.teamId, role };
  });
}

export interface InvitationSummary {
  id: string;
  role: Role;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string;
  /** Spent: when, and by whom. */
  usedAt: string | null;
  usedBy: string | null;
}

/** The team's invitations, newest first: open ones and those spent or expired in the last week (the link itself is never stored). */
export async function listInvitations(db: PrismaClient, teamId: string): Promise<InvitationSummary[]> {
  const weekAgo = new Date(Date.now() - MAX_INVITE_TTL_SECONDS * 1000);
  const rows = await db.teamInvitation.findMany({ where: { teamId, expiresAt: { gte: weekAgo } }, orderBy: { createdAt: "desc" }, take: 200 });
  const ids = [...new Set(rows.flatMap((r) => [r.createdById, r.usedById]).filter((x): x is string => !!x))];
  const users = new Map((await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } })).map((u) => [u.id, u.name]));
  return rows.map((r) => ({
    id: r.id,
    role: r.role as Role,
    createdBy: r.createdById ? (users.get(r.createdById) ?? null) : null,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    usedAt: r.usedAt?.toISOString() ?? null,
    usedBy: r.usedById ? (users.get(r.usedById) ?? null) : null,
  }));
}

/** Revokes an open invitation of the team: its link stops working at once. */
export async function revokeInvitation(db: PrismaClient, teamId: string, id: string): Promise<void> {
  const inv = await db.teamInvitation.findFirst({ where: { id, teamId } });
  if (!inv) throw new NotFound(`invitation ${id} not found in this team`);
  if (inv.usedAt) throw new FailedPrecondition(`invitation ${id} was already used (${inv.usedAt.toISOString()}): remove the member instead`);
  await db.teamInvitation.delete({ where: { id } });
}
