import { FailedPrecondition, NotFound } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import type { Actor } from "../policy/index.js";

/**
 * Hands the team over: `userName` (already a member) becomes an owner and the caller, an owner,
 * steps down to admin, in one transaction (the team is never without an owner).
 */
export async function transferTeam(db: PrismaClient, actor: Actor, userName: string): Promise<{ team: string; owner: string }> {
  if (actor.team.personal) throw new FailedPrecondition(`${actor.team.name} is a personal team: it cannot be handed over`);
  const user = await db.user.findUnique({ where: { name: userName }, select: { id: true, name: true } });
  if (!user) throw new NotFound(`user ${userName} not found`);
  if (user.id === actor.userId) throw new FailedPrecondition(`you already own team ${actor.team.name}: hand it to another member`);
  await db.$transaction(async (tx) => {
    const m = await tx.teamMember.findUnique({ where: { teamId_userId: { teamId: actor.team.id, userId: user.id } } });
    if (!m) throw new FailedPrecondition(`${userName} is not a member of team ${actor.team.name}: invite them first`);
    await tx.teamMember.update({ where: { teamId_userId: { teamId: actor.team.id, userId: user.id } }, data: { role: "owner" } });
    // The site admin acting in a team they are not in has no membership to step down from.
    await tx.teamMember.updateMany({ where: { teamId: actor.team.id, userId: actor.userId, role: "owner" }, data: { role: "admin" } });
  });
  return { team: actor.team.name, owner: user.name };
}
