import { PermissionDenied } from "@berth/core";
import type { Prisma, PrismaClient } from "@berth/core/db";

/**
 * Who is pointing tags at an image (a pull or load): a tag belongs to one team, and the shared
 * base images (a tag with no team: busybox, bootstrapped bases) are the site admin's. A ref is
 * one row for the whole host, so a tag of another team's cannot be "ours" beside it: it is
 * refused, and what it points at stays as it was.
 */
export interface TagOwner {
  /** The team new tags belong to; none: shared base images (the site admin's bootstrap). */
  teamId?: string | undefined;
  /** The caller is the site admin: shared base tags may move. */
  siteAdmin: boolean;
}

type Db = PrismaClient | Prisma.TransactionClient;

/** Refuses `refs` that `owner` may not point elsewhere; says which and why. */
export async function assertTagsMovable(db: Db, refs: readonly string[], owner: TagOwner): Promise<void> {
  if (!refs.length) return;
  const rows = await db.imageTag.findMany({ where: { ref: { in: [...refs] } }, select: { ref: true, teamId: true } });
  for (const r of rows) {
    if (r.teamId !== null && r.teamId === owner.teamId) continue;
    if (r.teamId === null) {
      if (owner.siteAdmin || owner.teamId === undefined) continue;
      throw new PermissionDenied(`tag ${r.ref} is a shared base image: only the site admin changes what it points at; use a name of your own (e.g. berth tag or a team prefix)`);
    }
    const team = owner.teamId ? await db.team.findUnique({ where: { id: owner.teamId }, select: { name: true } }) : null;
    throw new PermissionDenied(`tag ${r.ref} is not available to ${team ? `team ${team.name}` : "shared base images"}: choose another name`);
  }
}

/** Points `refs` at `imageId` for `owner`, checked and written in one transaction (new tags are the owner's). */
export async function pointTags(db: PrismaClient, refs: readonly string[], imageId: string, owner: TagOwner): Promise<void> {
  await db.$transaction(async (tx) => {
    await assertTagsMovable(tx, refs, owner);
    for (const ref of refs) await tx.imageTag.upsert({ where: { ref }, create: { ref, imageId, teamId: owner.teamId ?? null }, update: { imageId } });
  });
}
