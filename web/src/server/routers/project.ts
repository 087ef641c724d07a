import { z } from "zod";
import { router, teamProcedure } from "../trpc.js";
import { BranchName, ProjectName } from "../projects/names.js";
import { branchLog, createProject, redeployBranch, getProject, listBranches, listProjects, removeProject, setUpstream, syncProject } from "../projects/service.js";

export type { ProjectSummary, BranchSummary } from "../projects/service.js";

const Url = z.string().trim().min(1).max(2048);

/**
 * `berth project …`: a project is a team's git repository on Berth (web/src/server/projects/),
 * pushed to and cloned at /git/<team>/<name>.git; each branch gets a preview. Viewers read,
 * members create, push and sync, admins remove projects and change where they fetch from.
 */
export const projectRouter = router({
  list: teamProcedure("project.read").query(({ ctx }) => listProjects(ctx.services.db, ctx.actor.team)),

  get: teamProcedure("project.read")
    .input(z.object({ name: ProjectName }))
    .query(({ ctx, input }) => getProject(ctx.services.db, ctx.actor.team, input.name)),

  branches: teamProcedure("project.read")
    .input(z.object({ name: ProjectName }))
    .query(({ ctx, input }) => listBranches(ctx.services.db, ctx.actor.team.id, input.name)),

  log: teamProcedure("project.read")
    .input(z.object({ name: ProjectName, branch: BranchName }))
    .query(({ ctx, input }) => branchLog(ctx.services.db, ctx.actor.team.id, input.name, input.branch)),

  /** With `from`, the project follows that repository: the answer carries its webhook secret, this once. */
  create: teamProcedure("project.create")
    .input(z.object({ name: ProjectName, from: Url.optional(), defaultBranch: BranchName.default("main") }))
    .mutation(({ ctx, input }) => createProject(ctx.services, ctx.actor.team, ctx.actor.userId, input)),

  remove: teamProcedure("project.delete")
    .input(z.object({ name: ProjectName }))
    .mutation(({ ctx, input }) => removeProject(ctx.services, ctx.actor.team, input.name)),

  /** Follow another repository (url null: stop following); a new webhook secret, returned this once. */
  setUpstream: teamProcedure("project.webhook")
    .input(z.object({ name: ProjectName, url: Url.nullable() }))
    .mutation(({ ctx, input }) => setUpstream(ctx.services.db, ctx.actor.team.id, input.name, input.url)),

  /** Deploys a branch's commit again, as a push of it would. */
  redeploy: teamProcedure("project.push")
    .input(z.object({ name: ProjectName, branch: BranchName }))
    .mutation(({ ctx, input }) => redeployBranch(ctx.services, ctx.actor.team.id, input.name, input.branch)),

  sync: teamProcedure("project.sync")
    .input(z.object({ name: ProjectName }))
    .mutation(({ ctx, input }) => syncProject(ctx.services, ctx.actor.team.id, input.name)),
});
