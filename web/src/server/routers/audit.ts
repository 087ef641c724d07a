import { z } from "zod";
import { router, teamProcedure } from "../trpc.js";

export interface AuditRow {
  id: number;
  time: string;
  actor: string;
  team: string | null;
  action: string;
  target: string;
  address: string;
  client: string;
  result: string;
  detail: string;
}

/** `berth audit`: a team's entries for its admins; the site admin's `all` reads every team's and the team-less ones. */
export const auditRouter = router({
  list: teamProcedure("audit.read")
    .input(
      z
        .object({
          team: z.string().trim().min(1).max(64).optional(),
          all: z.boolean().default(false),
          user: z.string().trim().min(1).max(64).optional(),
          since: z.string().datetime({ offset: true, message: "since: an ISO 8601 time" }).optional(),
          limit: z.number().int().min(1).max(10_000).default(1000),
        })
        .optional(),
    )
    .query(async ({ ctx, input }): Promise<AuditRow[]> => {
      const all = !!input?.all && ctx.actor.siteAdmin;
      const rows = await ctx.services.db.auditEvent.findMany({
        where: {
          ...(all ? {} : { teamId: ctx.actor.team.id }),
          ...(input?.user ? { actorName: input.user } : {}),
          ...(input?.since ? { time: { gte: new Date(input.since) } } : {}),
        },
        orderBy: { id: "desc" },
        take: input?.limit ?? 1000,
      });
      return rows.reverse().map((r) => ({ id: r.id, time: r.time.toISOString(), actor: r.actorName, team: r.teamName, action: r.action, target: r.target, address: r.address, client: r.client, result: r.result, detail: r.detail }));
    }),
});
