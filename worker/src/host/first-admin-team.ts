import type { PrismaClient } from "@berth/core/db";

/**
 * The team that takes what was made before teams (the teams migration's rule): the personal team
 * of the first admin (admins first, then the oldest user), else the oldest team.
 */
export async function firstAdminTeam(db: PrismaClient): Promise<string | undefined> {
  const m = await db.teamMember.findFirst({
    where: { team: { personal: true } },
    orderBy: [{ user: { isAdmin: "desc" } }, { user: { createdAt: "asc" } }, { userId: "asc" }],
    select: { teamId: true },
  });
  if (m) return m.teamId;
  return (await db.team.findFirst({ orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { id: true } }))?.id;
}
