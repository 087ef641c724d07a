import { z } from "zod";
import { JOB, type ImageDfResult, type ImageInspectResult } from "@berth/core";
import { router, teamProcedure, siteProcedure } from "../trpc.js";
import { dockerInspect, imageHistory, type HistoryRow } from "../images/inspect.js";
import { imageHost, runHostJob } from "../images/jobs.js";
import { pruneImages, removeImage, tagImage, type PruneResult, type RemoveResult } from "../images/manage.js";
import { resolveImage, visibleTagWhere, type ImageScope } from "@berth/core";
import { scopeOf } from "../images/manage.js";
import { commitProcedure } from "../images/commit.js";
import type { Services } from "../services.js";

export interface ImageSummary {
  /** The config digest, "sha256:…". */
  id: string;
  tags: string[];
  size: number;
  createdAt: string;
}

export type { HistoryRow, PruneResult, RemoveResult };
export type DiskUsage = ImageDfResult;

const ImageRef = z.string().trim().min(1, "image is required").max(512);

/** Manifest and config of an image, read by its host's worker (web never reads the store). */
async function inspectOne(s: Services, scope: ImageScope, input: string): Promise<{ result: ImageInspectResult; tags: string[] }> {
  const img = await resolveImage(s.db, scope, input);
  const result = await runHostJob<ImageInspectResult>(s, JOB.imageInspect, { imageId: img.id }, { hostId: await imageHost(s), timeoutMs: 30_000 });
  const tags = (await s.db.imageTag.findMany({ where: { imageId: img.id, ...visibleTagWhere(scope) }, select: { ref: true }, orderBy: { ref: "asc" } })).map((t) => t.ref);
  return { result, tags };
}

export const imageRouter = router({
  /** The team's images and the shared bases; untagged images only for the site admin. */
  list: teamProcedure("image.read").query(async ({ ctx }): Promise<ImageSummary[]> => {
    const scope = scopeOf(ctx.actor);
    const images = await ctx.services.db.image.findMany({
      where: scope.siteAdmin ? { OR: [{ tags: { some: visibleTagWhere(scope) } }, { tags: { none: {} } }] } : { OR: [{ tags: { some: visibleTagWhere(scope) } }, { containers: { some: { teamId: scope.teamId } } }] },
      include: { tags: { where: visibleTagWhere(scope), select: { ref: true }, orderBy: { ref: "asc" } } },
      orderBy: { createdAt: "desc" },
    });
    return images.map((i) => ({ id: i.id, tags: i.tags.map((t) => t.ref), size: Number(i.size), createdAt: i.createdAt.toISOString() }));
  }),

  /** `docker image inspect`'s JSON, one object per image asked for. */
  inspect: teamProcedure("image.read").input(z.object({ refs: z.array(ImageRef).min(1).max(100) })).query(async ({ ctx, input }): Promise<Record<string, unknown>[]> => {
    const out = [];
    for (const ref of input.refs) {
      const { result, tags } = await inspectOne(ctx.services, scopeOf(ctx.actor), ref);
      out.push(dockerInspect(result, tags));
    }
    return out;
  }),

  history: teamProcedure("image.read").input(z.object({ ref: ImageRef })).query(async ({ ctx, input }): Promise<HistoryRow[]> => {
    const { result } = await inspectOne(ctx.services, scopeOf(ctx.actor), input.ref);
    return imageHistory(result);
  }),

  tag: teamProcedure("image.manage")
    .input(z.object({ source: ImageRef, target: ImageRef }))
    .mutation(({ ctx, input }) => tagImage(ctx.services, ctx.actor, input.source, input.target)),

  remove: teamProcedure("image.manage")
    .input(z.object({ ref: ImageRef, force: z.boolean().optional() }))
    .mutation(({ ctx, input }): Promise<RemoveResult> => removeImage(ctx.services, ctx.actor, input.ref, input.force ?? false)),

  /** Dangling images belong to no team: the site admin's. */
  prune: siteProcedure
    .input(z.object({ all: z.boolean().optional() }).optional())
    .mutation(({ ctx, input }): Promise<PruneResult> => pruneImages(ctx.services, input?.all ?? false)),

  /** `commit CONTAINER [REPO[:TAG]]`. */
  commit: commitProcedure,

  /** `system df`: what the current team sees (the site admin: the whole host). */
  df: teamProcedure("image.read").query(async ({ ctx }): Promise<DiskUsage> => {
    const scope = ctx.actor.siteAdmin ? {} : { teamId: ctx.actor.team.id };
    return runHostJob<ImageDfResult>(ctx.services, JOB.imageDf, scope, { hostId: await imageHost(ctx.services), timeoutMs: 5 * 60_000 });
  }),
});
