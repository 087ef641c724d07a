import { randomUUID } from "node:crypto";
import { z } from "zod";
import { BUILDS_QUEUE, buildStreamKey, FailedPrecondition, NotFound, writeBuildEnd, type BuildEvent } from "@berth/core";
import { teamProcedure, router } from "../trpc.js";
import { authorize } from "../policy/index.js";
import { assertTagsWritable } from "../images/manage.js";
import { checkDiskQuota } from "../teams/disk.js";
import { authorizeBuildRead } from "./team.js";
import { CANCELLED_KIND, listBuilds, readRecord, readRetryContext, retryPayload, summarize, type BuildRecord, type BuildSummary } from "./history.js";
import { queueBuild } from "./http.js";
import { buildFromProject } from "./from-project.js";
import { BranchName, ProjectName } from "../projects/names.js";

export type { BuildSummary, BuildStatus } from "./history.js";

const BuildId = z.string().uuid("a build id is a UUID (as `berth build` prints it)");

/** The build's record, if the actor's team ran it (another team's answers as missing). */
async function recordFor(ctx: { services: Parameters<typeof readRecord>[0]; actor: Parameters<typeof authorize>[0] }, id: string, action: "build.read" | "image.build"): Promise<BuildRecord> {
  const notFound = `No such build: ${id} (or it is older than the build history keeps)`;
  const rec = await readRecord(ctx.services, id);
  if (!rec) throw new NotFound(notFound);
  authorize(ctx.actor, action, { teamId: rec.teamId, notFound });
  return rec;
}

export const buildRouter = router({
  /**
   * A build's output so far (kept an hour after it ends), for clients that did not start it
   * (the dashboard): events after `after` (a stream id; "0" for all), the cursor for the next
   * call, and whether the end event has come.
   */
  output: teamProcedure("build.read")
    .input(z.object({ buildId: z.string().uuid(), after: z.string().regex(/^\d+(-\d+)?$/).default("0"), limit: z.number().int().min(1).max(10_000).default(1000) }))
    .query(async ({ ctx, input }): Promise<{ events: BuildEvent[]; next: string; done: boolean }> => {
      await authorizeBuildRead(ctx.services, ctx.actor, input.buildId);
      const start = input.after === "0" ? "-" : `(${input.after}`;
      const rows = await ctx.services.redis.xrange(buildStreamKey(input.buildId), start, "+", "COUNT", input.limit);
      const events = rows.map(([, fields]) => JSON.parse(fields[fields.indexOf("e") + 1] ?? "{}") as BuildEvent);
      return { events, next: rows.at(-1)?.[0] ?? input.after, done: events.some((e) => e.type === "end") };
    }),

  /** The team's builds, newest first: queued, running, and the history (a week, the last 200). */
  list: teamProcedure("build.read")
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).optional())
    .query(({ ctx, input }): Promise<BuildSummary[]> => listBuilds(ctx.services, ctx.actor.team.id, input?.limit ?? 50)),

  byId: teamProcedure("build.read")
    .input(z.object({ id: BuildId }))
    .query(async ({ ctx, input }): Promise<BuildSummary> => summarize(ctx.services, await recordFor(ctx, input.id, "build.read"))),

  /**
   * Stops a build: a queued one leaves the queue; a running one gets its end event now (kind
   * Cancelled) and its worker, seeing an end it did not write, stops between steps and kills a
   * running RUN step. Its tags do not move.
   */
  cancel: teamProcedure("image.build")
    .input(z.object({ id: BuildId }))
    .mutation(async ({ ctx, input }) => {
      const rec = await recordFor(ctx, input.id, "image.build");
      const now = await summarize(ctx.services, rec);
      if (now.status !== "queued" && now.status !== "running") throw new FailedPrecondition(`build ${input.id} has already ended (${now.status}): nothing to cancel`);
      const job = rec.jobId ? await ctx.services.queues.get(BUILDS_QUEUE).getJob(rec.jobId) : undefined;
      // A waiting job is removed outright; an active one is locked by its worker and stops on its own.
      if (job && (await job.getState()) === "waiting") await job.remove().catch(() => undefined);
      const wrote = await writeBuildEnd(ctx.services.redis, rec.id, { type: "end", ok: false, kind: CANCELLED_KIND, message: `build cancelled by ${ctx.actor.userName}` });
      if (!wrote) throw new FailedPrecondition(`build ${input.id} ended before it could be cancelled`);
      ctx.services.log.info({ buildId: rec.id, by: ctx.actor.userName }, "build cancelled");
      return { cancelled: rec.id };
    }),

  /** Builds a branch's last commit of one of the team's projects (its files as pushed); answers the build's id. */
  fromProject: teamProcedure("image.build")
    .input(
      z.object({
        project: ProjectName,
        branch: BranchName,
        tags: z.array(z.string().min(1)).max(20).default([]),
        dockerfile: z
          .string()
          .min(1)
          .default("Dockerfile")
          .refine((f) => !f.startsWith("/") && !f.split("/").includes(".."), "name a Dockerfile inside the repository"),
        buildArgs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a build argument's name is letters, digits and _"), z.string()).default({}),
        noCache: z.boolean().default(false),
      }),
    )
    .mutation(({ ctx, input }) => buildFromProject(ctx.services, ctx.actor, input)),

  /** Runs a build again with the same context and options (contexts up to 256 KiB are kept a day). */
  retry: teamProcedure("image.build")
    .input(z.object({ id: BuildId }))
    .mutation(async ({ ctx, input }) => {
      const rec = await recordFor(ctx, input.id, "image.build");
      const inline = await readRetryContext(ctx.services, rec.id);
      if (!inline) throw new FailedPrecondition(`build ${input.id} cannot be run again: its context was not kept (larger than 256 KiB, or older than a day); build it again from its directory`);
      if (rec.network === "host" && !ctx.actor.siteAdmin) throw new FailedPrecondition("a build with --network host runs again only for the site admin");
      await assertTagsWritable(ctx.services, ctx.actor, rec.tags);
      await checkDiskQuota(ctx.services, ctx.actor.team.id);
      const id = randomUUID();
      await queueBuild(ctx.services, retryPayload(rec, id, inline), ctx.actor.userName, rec.id);
      return { id };
    }),
});
