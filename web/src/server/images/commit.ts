import { z } from "zod";
import { JOB_COMMIT, type ContainerCommitResult } from "@berth/core";
import { resolveContainer } from "../containers/resolve.js";
import { teamProcedure } from "../trpc.js";
import { runHostJob } from "./jobs.js";
import { checkDiskQuota } from "../teams/disk.js";
import { assertTagsWritable, tagRef } from "./manage.js";

/** A layer of many GB takes a while to hash and compress. */
const COMMIT_TIMEOUT_MS = 6 * 3600_000;

export const CommitInput = z.object({
  container: z.string().trim().min(1, "container is required").max(256),
  ref: z.string().trim().min(1).max(512).optional(),
  message: z.string().max(4096).optional(),
  author: z.string().max(512).optional(),
  changes: z.array(z.string().max(64 * 1024)).max(100).default([]),
});

/** `image.commit`: the container's changes become a new image, made by the worker on the container's host. */
export const commitProcedure = teamProcedure("image.build").input(CommitInput).mutation(async ({ ctx, input }): Promise<ContainerCommitResult> => {
  const s = ctx.services;
  const ref = input.ref ? tagRef(input.ref) : undefined;
  const c = await resolveContainer(s.db, ctx.actor.team.id, input.container);
  if (ref) await assertTagsWritable(s, ctx.actor, [ref]);
  await checkDiskQuota(s, ctx.actor.team.id);
  const r = await runHostJob<ContainerCommitResult>(
    s,
    JOB_COMMIT.containerCommit,
    {
      containerId: c.id,
      ...(ref ? { ref } : {}),
      ...(input.message !== undefined ? { message: input.message } : {}),
      ...(input.author !== undefined ? { author: input.author } : {}),
      changes: input.changes,
      teamId: ctx.actor.team.id,
    },
    { hostId: c.hostId, timeoutMs: COMMIT_TIMEOUT_MS },
  );
  s.log.info({ container: c.id, image: r.id, ref }, "container committed");
  return r;
});
