import { z } from "zod";
import { TRPCError } from "@trpc/server";
import { router, selfProcedure, siteProcedure, teamProcedure } from "../trpc.js";
import { ROLES } from "../policy/index.js";
import { acceptInvitation, createInvitation, listInvitations, MAX_INVITE_TTL_SECONDS, revokeInvitation, type Invitation, type InvitationSummary } from "../teams/invites.js";
import { transferTeam } from "../teams/transfer.js";
import { readQuota, setQuota, type Quota } from "../teams/quota.js";
import { readTeamFreeze, setTeamFreeze, type TeamFreeze } from "../teams/freeze.js";
import { allowHostPath, disallowHostPath, teamHostPaths, type HostPathRow } from "../teams/host-paths.js";
import { recordAudit, requestOrigin } from "../audit/index.js";
import { teamNetworkCount } from "../networks/jobs.js";
import { checkTeamName, createTeam, listMembers, listTeams, removeMember, removeTeam, setMember, type MemberSummary, type TeamSummary } from "../teams/index.js";
import { announcePolicyChange } from "../edge/policy-changes.js";

export type { TeamSummary, MemberSummary, Invitation, InvitationSummary, Quota, HostPathRow, TeamFreeze };

const HostPath = z.string().trim().min(1, "host path is required").max(4096);

const TeamName = z.string().trim().min(1, "team name is required").max(64);
const UserName = z.string().trim().min(1, "user name is required").max(64);
const Role = z.enum(ROLES, { message: `role is one of ${ROLES.join(", ")}` });
/** A quota value: a number, or null to remove the limit. */
const Limit = (schema: z.ZodNumber) => schema.nullable().optional();

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
  current: teamProcedure("team.read").input(z.object({ team: TeamName.optional() }).optional()).query(({ ctx }) => ({ id: ctx.actor.team.id, name: ctx.actor.team.name, personal: ctx.actor.team.personal, role: ctx.actor.siteAdmin && !ctx.actor.role ? "owner" : ctx.actor.role, siteAdmin: ctx.actor.siteAdmin })),

  members: teamProcedure("team.read").input(z.object({ team: TeamName.optional() }).optional()).query(({ ctx }): Promise<MemberSummary[]> => listMembers(ctx.services.db, ctx.actor.team.id)),

  /** Adds a user, or changes a member's role. */
  addMember: teamProcedure("team.members")
    .input(z.object({ team: TeamName.optional(), user: UserName, role: Role.default("member") }))
    .mutation(({ ctx, input }) => setMember(ctx.services.db, ctx.actor, input.user, input.role)),

  removeMember: teamProcedure("team.members")
    .input(z.object({ team: TeamName.optional(), user: UserName }))
    .mutation(async ({ ctx, input }) => {
      await removeMember(ctx.services.db, ctx.actor, input.user);
      // Answered once the edge forgot: the removed member's next request to a team link is refused.
      await announcePolicyChange(ctx.services.redis, "member removed");
      return { removed: input.user };
    }),

  remove: teamProcedure("team.delete")
    .input(z.object({ team: TeamName }))
    .mutation(async ({ ctx }) => {
      await removeTeam(ctx.services.db, ctx.actor, () => teamNetworkCount(ctx.services, ctx.actor.team.id));
      ctx.services.log.info({ team: ctx.actor.team.name, by: ctx.user.name }, "team removed");
      return { removed: ctx.actor.team.name };
    }),

  /** A one-time link joining whoever opens it to the team with `role` (the token is shown once). */
  invite: teamProcedure("team.invite")
    .input(z.object({ team: TeamName.optional(), role: Role.default("member"), ttlSeconds: z.number().int().min(60).max(MAX_INVITE_TTL_SECONDS).default(24 * 3600) }))
    .mutation(({ ctx, input }): Promise<Invitation> => createInvitation(ctx.services.db, ctx.actor, input.role, input.ttlSeconds)),

  /** The team's open invitations and those spent or expired lately (who made them, who used them); never the link. */
  invitations: teamProcedure("team.invite")
    .input(z.object({ team: TeamName.optional() }).optional())
    .query(({ ctx }): Promise<InvitationSummary[]> => listInvitations(ctx.services.db, ctx.actor.team.id)),

  /** Revokes an open invitation: its link stops working. */
  revokeInvite: teamProcedure("team.invite")
    .input(z.object({ team: TeamName.optional(), id: z.string().trim().min(1, "invitation id is required").max(64) }))
    .mutation(async ({ ctx, input }) => {
      await revokeInvitation(ctx.services.db, ctx.actor.team.id, input.id);
      return { revoked: input.id };
    }),

  /** The owner hands the team over: `user` becomes owner, the caller admin. */
  transfer: teamProcedure("team.transfer")
    .input(z.object({ team: TeamName.optional(), user: UserName }))
    .mutation(({ ctx, input }) => transferTeam(ctx.services.db, ctx.actor, input.user)),

  /** Spends an invitation: the caller joins its team (dashboard /invite/TOKEN, `berth team join`). */
  acceptInvite: selfProcedure.input(z.object({ token: z.string().trim().min(1, "invitation token is required").max(256) })).mutation(async ({ ctx, input }) => {
    if (ctx.user.readOnly || ctx.user.teamId) throw new TRPCError({ code: "FORBIDDEN", message: "this API token cannot join teams (it is read-only or limited to one team): sign in, or use a full token" });
    const audit = (result: string, team: { id: string | null; name: string | null }, detail = "") =>
      recordAudit(ctx.services.db, ctx.services.log, { actorId: ctx.user.id, actorName: ctx.user.name, teamId: team.id, teamName: team.name, action: "team.acceptInvite", target: ctx.user.name, result, detail }, requestOrigin(ctx.req));
    try {
      const joined = await acceptInvitation(ctx.services.db, ctx.user.id, input.token);
      await audit("ok", { id: joined.teamId, name: joined.team }, `joined as ${joined.role}`);
      ctx.services.log.info({ team: joined.team, user: ctx.user.name, role: joined.role }, "invitation accepted");
      return { team: joined.team, role: joined.role };
    } catch (err) {
      await audit((err as { kind?: string }).kind ?? "Internal", { id: null, name: null }, (err as Error).message);
      throw err;
    }
  }),

  /** The team's quotas (null: no limit); every member may read them. */
  quota: teamProcedure("team.read")
    .input(z.object({ team: TeamName.optional() }).optional())
    .query(async ({ ctx }): Promise<Quota & { team: string }> => ({ team: ctx.actor.team.name, ...(await readQuota(ctx.services.db, ctx.actor.team.id)) })),

  /** The host paths the team may bind-mount (every member may read them). */
  paths: teamProcedure("team.read")
    .input(z.object({ team: TeamName.optional() }).optional())
    .query(async ({ ctx }): Promise<HostPathRow[]> => (await teamHostPaths(ctx.services.db, ctx.actor.team.id)).map((g) => ({ team: ctx.actor.team.name, ...g }))),

  /** The site admin lets a team bind-mount a host path and what is under it (read-only unless `readOnly: false`). */
  allowPath: siteProcedure.input(z.object({ team: TeamName, path: HostPath, readOnly: z.boolean().default(false) })).mutation(async ({ ctx, input }) => {
    const r = await allowHostPath(ctx.services.db, input.team, input.path, input.readOnly);
    ctx.services.log.info({ team: r.team, path: r.path, readOnly: r.readOnly, by: ctx.user.name }, "host path allowed");
    return r;
  }),

  /** Takes a host path grant back. */
  disallowPath: siteProcedure.input(z.object({ team: TeamName, path: HostPath })).mutation(async ({ ctx, input }) => {
    const r = await disallowHostPath(ctx.services.db, input.team, input.path);
    ctx.services.log.info({ team: r.team, path: r.path, by: ctx.user.name }, "host path disallowed");
    return r;
  }),

  /** The team's settings: how long its stacks may idle before they freeze (every member may read it). */
  settings: teamProcedure("team.read")
    .input(z.object({ team: TeamName.optional() }).optional())
    .query(({ ctx }): Promise<TeamFreeze> => readTeamFreeze(ctx.services.db, ctx.actor.team.id)),

  /** An admin changes the team's settings: `freezeAfter` is a duration ("30m") or "off". */
  set: teamProcedure("team.settings")
    .input(z.object({ team: TeamName.optional(), freezeAfter: z.string().trim().min(1, "--freeze-after needs a duration (e.g. 30m) or off").max(32) }))
    .mutation(async ({ ctx, input }): Promise<TeamFreeze> => {
      const r = await setTeamFreeze(ctx.services.db, ctx.actor.team.id, input.freezeAfter);
      ctx.services.log.info({ team: r.team, freezeAfter: r.freezeAfter, by: ctx.user.name }, "team settings changed");
      return r;
    }),

  /** The site admin sets a team's quotas: undefined keeps a limit, null removes it. */
  setQuota: siteProcedure
    .input(
      z.object({
        team: TeamName,
        containers: Limit(z.number().int().min(0).max(100_000)),
        memory: Limit(z.number().int().min(6 * 1024 * 1024, "the smallest memory quota is 6m")),
        cpus: Limit(z.number().positive().max(1024)),
        disk: Limit(z.number().int().min(0)),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { team, ...q } = input;
      const r = await setQuota(ctx.services.db, team, q);
      ctx.services.log.info({ team, quota: q, by: ctx.user.name }, "team quota set");
      return r;
    }),
});
