/** Repository rows: lookup, creation on first push, and what a caller may see. */
import { readRows, type Db, type Prisma, type PrismaClient } from "@berth/core/db";
import { newRowId } from "../auth/index.js";
import { ensurePersonalTeam } from "../policy/actor.js";
import { heldActions, ownNamespace, type Principal } from "./access.js";
import { namespaceOf } from "./names.js";

export type Repository = Db.Repository;

export function findRepo(db: PrismaClient, name: string): Promise<Repository | null> {
  return db.repository.findUnique({ where: { name } });
}

/** What the /v2/ hot paths need of a repository: its id and who may do what to it. */
export interface RepoRef {
  id: string;
  name: string;
  namespace: string;
  teamId: string | null;
  ownerId: string | null;
  isPublic: boolean;
}

interface RepoRefRow extends Omit<RepoRef, "isPublic"> {
  isPublic: unknown;
  blob?: string | null;
}

const toRef = (r: RepoRefRow): RepoRef => ({ id: r.id, name: r.name, namespace: r.namespace, teamId: r.teamId, ownerId: r.ownerId, isPublic: Boolean(r.isPublic) });

/**
 * The repository for a token grant, an upload or a manifest: one prepared statement on the read
 * connection (core's db-read.ts). Each request of a push makes one of these.
 */
export function findRepoRef(db: PrismaClient, name: string): RepoRef | null {
  const rows = readRows<RepoRefRow>(db, `SELECT "id", "name", "namespace", "teamId", "ownerId", "isPublic" FROM "Repository" WHERE "name" = ?`, name);
  return rows[0] ? toRef(rows[0]) : null;
}

/** The repository and whether it holds blob `digest`, in one query: HEADs come by the dozen on every push. */
export function findRepoWithBlob(db: PrismaClient, name: string, digest: string): { repo: RepoRef | null; hasBlob: boolean } {
  const rows = readRows<RepoRefRow>(
    db,
    `SELECT r."id", r."name", r."namespace", r."teamId", r."ownerId", r."isPublic", b."digest" AS "blob"
     FROM "Repository" r LEFT JOIN "RepoBlob" b ON b."repositoryId" = r."id" AND b."digest" = ?
     WHERE r."name" = ?`,
    digest,
    name,
  );
  const row = rows[0];
  return row ? { repo: toRef(row), hasBlob: typeof row.blob === "string" } : { repo: null, hasBlob: false };
}

/** The size of blob `digest` in repository `repositoryId`, if it holds it (a mount's source, a mount already done). */
export function repoBlobSize(db: PrismaClient, repositoryId: string, digest: string): number | undefined {
  const row = readRows<{ size: number | bigint }>(db, `SELECT "size" FROM "RepoBlob" WHERE "repositoryId" = ? AND "digest" = ?`, repositoryId, digest)[0];
  return row ? Number(row.size) : undefined;
}

/**
 * The team a new repository in `namespace` belongs to: the team of that name (a user's
 * personal team has the user's name; made now for a user from before teams). Null for a
 * namespace no team or user has, which only the site admin may push to.
 */
export async function teamOfNamespace(db: PrismaClient, namespace: string): Promise<string | null> {
  const team = await db.team.findFirst({ where: { name: namespace }, select: { id: true } });
  if (team) return team.id;
  const user = await db.user.findFirst({ where: { name: namespace }, select: { id: true, name: true } });
  return user ? (await ensurePersonalTeam(db, user)).id : null;
}

/** The repository, created (private) if this is its first push: it belongs to the namespace's team. */
export async function ensureRepo(db: PrismaClient, name: string, pusher: Principal): Promise<Repository> {
  const existing = await findRepo(db, name);
  if (existing) return existing;
  const namespace = namespaceOf(name);
  const teamId = await teamOfNamespace(db, namespace);
  const nsUser = await db.user.findFirst({ where: { name: namespace }, select: { id: true } });
  try {
    return await db.repository.create({
      data: { id: newRowId(), name, namespace, teamId, ownerId: nsUser?.id ?? pusher.id, isPublic: false },
    });
  } catch (e) {
    // Two first pushes racing: the other one created it.
    if ((e as { code?: string }).code === "P2002") {
      const row = await findRepo(db, name);
      if (row) return row;
    }
    throw e;
  }
}

/** The Prisma filter for repositories the principal can see (pull): the same rule as heldActions. */
export function visibleWhere(p: Principal): Prisma.RepositoryWhereInput {
  if (p.isAdmin) return {};
  if (!p.id) return { isPublic: true };
  const namespaces = p.teams.map((t) => t.name.toLowerCase());
  const own = ownNamespace(p);
  const unclaimed: Prisma.RepositoryWhereInput[] = [{ namespace: { in: namespaces } }];
  if (!p.limitedTo) {
    if (own) unclaimed.push({ namespace: own });
    unclaimed.push({ ownerId: p.id });
  }
  return { OR: [{ isPublic: true }, { teamId: { in: p.teams.map((t) => t.id) } }, { teamId: null, OR: unclaimed }] };
}

export const canSee = (p: Principal, repo: Repository) => heldActions(p, repo.name, repo).has("pull");
