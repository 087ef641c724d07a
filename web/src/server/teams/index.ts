import { AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied } from "@berth/core";
import { Prisma, type PrismaClient } from "@berth/core/db";
import { newRowId } from "../auth/crypto.js";
import { effectiveRole, roleRank, type Actor, type Role } from "../policy/index.js";
import { forgetPersonalTeam } from "../policy/actor.js";

/**
 * Teams: made by any user (who becomes its owner), run by their admins and owners. A team's
 * name is a registry namespace, so it shares one namespace with user names (each user has a
 * personal team of their name, which has no other members and cannot be removed).
 */

export interface TeamSummary {
  name: string;
  personal: boolean;
  /** The caller's role; null when the site admin sees a team they are not in. */
  role: Role | null;
  members: number;
  createdAt: string;
}

export interface MemberSummary {
  user: string;
  role: Role;
  since: string;
}

/** A team name or user name that is taken by the other kind (or this kind), case-insensitively. */
async function nameTaken(db: PrismaClient, name: string): Promise<boolean> {
  const lower = name.toLowerCase();
  const [users, teams] = await Promise.all([db.user.findMany({ select: { name: true } }), db.team.findMany({ select: { name: true } })]);
  return users.some((u) => u.name.toLowerCase() === lower) || teams.some((t) => t.name.toLowerCase() === lower);
}

export async function assertNameFree(db: PrismaClient, name: string): Promise<void> {
  if (await nameTaken(db, name)) throw new AlreadyExists(`the name "${name}" is taken (by a user or a team): team and user names share the registry's namespaces`);
}

export async function createTeam(db: PrismaClient, ownerId: string, name: string): Promise<TeamSummary> {
  await assertNameFree(db, name);
  try {
    const team = await db.$transaction(async (tx) => {
      const t = await tx.team.create({ data: { id: newRowId(), name, personal: false } });
      await tx.teamMember.create({ data: { teamId: t.id, userId: ownerId, role: "owner" } });
      return t;
    });
    return { name: team.name, personal: false, role: "owner", members: 1, createdAt: team.createdAt.toISOString() };
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") throw new AlreadyExists(`team "${name}" already exists`, { cause: err });
    throw err;
  }
}

/** The caller's teams; the site admin's `all` lists every team. */
export async function listTeams(db: PrismaClient, user: { id: string; isAdmin: boolean }, all: boolean): Promise<TeamSummary[]> {
  const rows = await db.team.findMany({
    where: all && user.isAdmin ? {} : { members: { some: { userId: user.id } } },
    include: { members: { where: { userId: user.id }, select: { role: true } }, _count: { select: { members: true } } },
    orderBy: { name: "asc" },
  });
  return rows.map((t) => ({ name: t.name, personal: t.personal, role: (t.members[0]?.role as Role | undefined) ?? null, members: t._count.members, createdAt: t.createdAt.toISOString() }));
}

export async function listMembers(db: PrismaClient, teamId: string): Promise<MemberSummary[]> {
  const rows = await db.teamMember.findMany({ where: { teamId }, include: { user: { select: { name: true } } }, orderBy: { createdAt: "asc" } });
  return rows.map((m) => ({ user: m.user.name, role: m.role as Role, since: m.createdAt.toISOString() }));
}

/** Owners count: the last one cannot leave or be demoted (hand the team over first). */
async function owners(db: PrismaClient, teamId: string): Promise<number> {
  return db.teamMember.count({ where: { teamId, role: "owner" } });
}

/** `team add` (also changes the role of a member): no one grants a role above their own. */
export async function setMember(db: PrismaClient, actor: Actor, userName: string, role: Role): Promise<MemberSummary> {
  if (actor.team.personal) throw new FailedPrecondition(`${actor.team.name} is a personal team: create a team (berth team create NAME) to share resources`);
  const mine = effectiveRole(actor);
  if (!mine || roleRank(role) > roleRank(mine)) throw new PermissionDenied(`you are ${mine ?? "not a member"} of team ${actor.team.name}: you cannot grant ${role}`);
  const user = await db.user.findUnique({ where: { name: userName }, select: { id: true, name: true } });
  if (!user) throw new NotFound(`user ${userName} not found`);
  const current = await db.teamMember.findUnique({ where: { teamId_userId: { teamId: actor.team.id, userId: user.id } } });
  if (current) {
    if (roleRank(current.role as Role) > roleRank(mine)) throw new PermissionDenied(`${userName} is ${current.role} of team ${actor.team.name}: only an owner changes that`);
    if (current.role === "owner" && role !== "owner" && (await owners(db, actor.team.id)) <= 1) throw new FailedPrecondition(`${userName} is the last owner of team ${actor.team.name}: make someone else owner first`);
  }
  const row = await db.teamMember.upsert({
    where: { teamId_userId: { teamId: actor.team.id, userId: user.id } },
    create: { teamId: actor.team.id, userId: user.id, role },
    update: { role },
  });
  return { user: user.name, role, since: row.createdAt.toISOString() };
}

export async function removeMember(db: PrismaClient, actor: Actor, userName: string): Promise<void> {
  if (actor.team.personal) throw new FailedPrecondition(`${actor.team.name} is a personal team: it has only its owner`);
  const user = await db.user.findUnique({ where: { name: userName }, select: { id: true } });
  const m = user ? await db.teamMember.findUnique({ where: { teamId_userId: { teamId: actor.team.id, userId: user.id } } }) : null;
  if (!user || !m) throw new NotFound(`${userName} is not a member of team ${actor.team.name}`);
  const mine = effectiveRole(actor);
  if (!mine || roleRank(m.role as Role) > roleRank(mine)) throw new PermissionDenied(`${userName} is ${m.role} of team ${actor.team.name}: only an owner removes them`);
  if (m.role === "owner" && (await owners(db, actor.team.id)) <= 1) throw new FailedPrecondition(`${userName} is the last owner of team ${actor.team.name}: make someone else owner first`);
  await db.teamMember.delete({ where: { teamId_userId: { teamId: actor.team.id, userId: user.id } } });
}

/**
 * `team rm`: only an empty team (no containers, volumes, networks, tags or repositories); never a
 * personal one. `networks` counts the team's networks (they live on the hosts, not in the database).
 */
export async function removeTeam(db: PrismaClient, actor: Actor, networks: () => Promise<number> = () => Promise.resolve(0)): Promise<void> {
  if (actor.team.personal) throw new FailedPrecondition(`${actor.team.name} is a personal team: it goes with its user`);
  const teamId = actor.team.id;
  const [containers, volumes, tags, repos, nets, projects] = await Promise.all([
    db.container.count({ where: { teamId } }),
    db.volume.count({ where: { teamId } }),
    db.imageTag.count({ where: { teamId } }),
    db.repository.count({ where: { teamId } }),
    networks(),
    // a project holds a git repository on disk and its previews: removed with berth project rm
    db.project.count({ where: { teamId } }),
  ]);
  const held = [containers && `${containers} container(s)`, volumes && `${volumes} volume(s)`, nets && `${nets} network(s)`, tags && `${tags} image tag(s)`, repos && `${repos} repositor(ies)`, projects && `${projects} project(s)`].filter(Boolean);
  if (held.length) throw new FailedPrecondition(`team ${actor.team.name} still owns ${held.join(", ")}: remove them first`);
  await db.team.delete({ where: { id: teamId } });
}

/** The user's personal team follows their name (set-up renames the first admin). */
export async function renamePersonalTeam(db: PrismaClient, userId: string, name: string): Promise<void> {
  const m = await db.teamMember.findFirst({ where: { userId, team: { personal: true } }, select: { teamId: true, team: { select: { name: true } } } });
  if (!m || m.team.name === name) return;
  const clash = await db.team.findUnique({ where: { name }, select: { id: true } });
  if (clash) throw new AlreadyExists(`the name "${name}" is taken by a team`);
  await db.team.update({ where: { id: m.teamId }, data: { name } });
  forgetPersonalTeam(userId);
}

export const TEAM_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

export function checkTeamName(name: string): void {
  if (!TEAM_NAME.test(name) || name.length > 64) throw new InvalidArgument(`invalid team name "${name}": lowercase letters and digits, separated by '.', '_' or '-' (it is the team's registry namespace)`);
}
