/** Repository rows: lookup, creation on first push, and what a caller may see. */
import type { Db, Prisma, PrismaClient } from "@berth/core/db";
import { newRowId } from "../auth/index.js";
import { heldActions, ownNamespace, type Principal } from "./access.js";
import { namespaceOf } from "./names.js";

export type Repository = Db.Repository;

export function findRepo(db: PrismaClient, name: string): Promise<Repository | null> {
  return db.repository.findUnique({ where: { name } });
}

/** The repository, created (private) if this is its first push. Owned by the namespace's user, else by the pusher. */
export async function ensureRepo(db: PrismaClient, name: string, pusher: Principal): Promise<Repository> {
  const existing = await findRepo(db, name);
  if (existing) return existing;
  const namespace = namespaceOf(name);
  const nsUser = await db.user.findFirst({ where: { name: namespace }, select: { id: true } });
  try {
    return await db.repository.create({
      data: { id: newRowId(), name, namespace, ownerId: nsUser?.id ?? pusher.id, isPublic: false },
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

/** The Prisma filter for repositories the principal can see (pull). */
export function visibleWhere(p: Principal): Prisma.RepositoryWhereInput {
  if (p.isAdmin) return {};
  const own = ownNamespace(p);
  if (!p.id || !own) return { isPublic: true };
  return { OR: [{ isPublic: true }, { namespace: own }, { ownerId: p.id }] };
}

export const canSee = (p: Principal, repo: Repository) => heldActions(p, repo.name, repo).has("pull");
