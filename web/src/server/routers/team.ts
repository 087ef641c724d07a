import { z } from "zod";
import { TRPCError } from "@trpc/server";
import { router, selfProcedure, teamProcedure } from "../trpc.js";
import { ROLES } from "../policy/index.js";
import { checkTeamName, createTeam, listMembers, listTeams, removeMember, removeTeam, setMember, type MemberSummary, type TeamSummary } from "../teams/index.js";

export type { TeamSummary, MemberSummary };

const TeamName = z.string().trim().min(1, "team name is required").max(64);
const UserName = z.string().trim().min(1, "user name is required").max(64);
const Role = z.enum(ROLES, { message: `role is one of ${ROLES.join(", ")}` });

/** `berth team …`. Procedures about one team name it in `team` (the policy reads it there). */
export const teamRouter = router({
  /** The caller's teams (the site admin's `all`: every team). */
  list: selfProcedure.input(z.object({ all: z.boolean().default(false) }).optional()).query(({ ctx, input }): Promise<TeamSummary[]> => listTeams(ctx.services.db, ctx.user, input?.all ?? false)),

  /** A new team; the caller is its owner. */
  create: selfProcedure.input(z.object({ name: TeamName })).mutation(async ({ ctx, input }): Promise<TeamSummary> => {
    if (ctx.user.readOnly || ctx.user.teamId) throw new TRPCError({ code: "FORBIDDEN", message: "this API token cannot create teams (it is read-only or limited to one team)" });
    checkTeamName(input.name);
    const t = await createTeam(ctx.services.db, ctx.user.id, input.name);
    ctx.services.log.info({ team: t.name, by: ctx.user.name }, "team created");
    return t;
  }),

  /** The current team (or `team`), as the caller sees it: for `berth team use` and whoami. */
  current: teamProcedure("team.read").input(z.object({ team: TeamName.optional() }).optional()).query(({ ctx }) => ({ name: ctx.actor.team.name, personal: ctx.actor.team.personal, role: ctx.actor.siteAdmin && !ctx.actor.role ? "owner" : ctx.actor.role, siteAdmin: ctx.actor.siteAdmin })),

  members: teamProcedure("team.read").input(z.object({ team: TeamName.optional() }).optional()).query(({ ctx }): Promise<MemberSummary[]> => listMembers(ctx.services.db, ctx.actor.team.id)),

  /** Adds a user, or changes a member's role. */
  addMember: teamProcedure("team.members")
    .input(z.object({ team: TeamName.optional(), user: UserName, role: Role.default("member") }))
    .mutation(({ ctx, input }) => setMember(ctx.services.db, ctx.actor, input.user, input.role)),

  removeMember: teamProcedure("team.members")
    .input(z.object({ team: TeamName.optional(), user: UserName }))
    .mutation(async ({ ctx, input }) => {
      await removeMember(ctx.services.db, ctx.actor, input.user);
      return { removed: input.user };
    }),

  remove: teamProcedure("team.delete")
    .input(z.object({ team: TeamName }))
    .mutation(async ({ ctx }) => {
      await removeTeam(ctx.services.db, ctx.actor);
      ctx.services.log.info({ team: ctx.actor.team.name, by: ctx.user.name }, "team removed");
      return { removed: ctx.actor.team.name };
    }),
});
