import { z } from "zod";
import { EnvironmentName } from "@berth/core";
import { router, teamProcedure } from "../trpc.js";
import { ProjectName } from "../projects/names.js";
import { requestOrigin } from "../audit/index.js";
import { diffReleases, listReleases, promote, rollback, showRelease } from "../releases/index.js";

export type { ReleaseSummary, ReleaseDetail, ReleaseDiff, ReleaseRunResult } from "../releases/index.js";

const Number_ = z.number().int().min(1);

/**
 * `berth release …`, `berth promote`, `berth rollback`: an environment's numbered releases
 * (images by digest, config version, health check, release command, who and why). Viewers list,
 * show and compare them (config values of secrets masked); members promote and roll back.
 * promote and rollback answer when the new release serves, or failed (the old one serving):
 * `ok`, `error` and the deploy's lines say which.
 */
export const releasesRouter = router({
  list: teamProcedure("release.read")
    .input(z.object({ project: ProjectName, env: EnvironmentName, limit: z.number().int().min(1).max(1000).default(50) }))
    .query(({ ctx, input }) => listReleases(ctx.services.db, ctx.actor.team.id, input.project, input.env, input.limit)),

  show: teamProcedure("release.read")
    .input(z.object({ project: ProjectName, env: EnvironmentName, number: Number_ }))
    .query(({ ctx, input }) => showRelease(ctx.services.db, ctx.actor.team.id, input.project, input.env, input.number)),

  diff: teamProcedure("release.read")
    .input(z.object({ project: ProjectName, env: EnvironmentName, from: Number_, to: Number_ }))
    .query(({ ctx, input }) => diffReleases(ctx.services.db, ctx.actor.team.id, input.project, input.env, input.from, input.to)),

  /**
   * Deploys `from`'s live release (its images by digest, not rebuilt) to `to`, with `to`'s own
   * config (to an environment with a registry: copies them there, verified). `release`: the source
   * release the caller reviewed; if `from` is at another one by now, refused (FailedPrecondition).
   */
  promote: teamProcedure("release.promote")
    .input(z.object({ project: ProjectName, from: EnvironmentName, to: EnvironmentName, release: Number_.optional() }))
    .mutation(({ ctx, input }) => promote(ctx.services, ctx.actor, input.project, input.from, input.to, requestOrigin(ctx.req), input.release)),

  /** A new release from release `to` (default: the one before the live one) with its images and config. */
  rollback: teamProcedure("release.rollback")
    .input(z.object({ project: ProjectName, env: EnvironmentName, to: Number_.optional() }))
    .mutation(({ ctx, input }) => rollback(ctx.services, ctx.actor, input.project, input.env, input.to, requestOrigin(ctx.req))),
});
