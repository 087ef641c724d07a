import { z } from "zod";
import { config } from "@berth/core";
import { router, teamProcedure } from "../trpc.js";
import { resolveContainer } from "../containers/resolve.js";
import { containerHistory, runningStats } from "./history.js";

const ContainerRef = z.string().trim().min(1, "container id or name is required").max(256);

export const statsRouter = router({
  /** One container's usage history, sampled by its host's worker (the last hour or 24 hours). */
  history: teamProcedure("container.read")
    .input(z.object({ id: ContainerRef, range: z.enum(["1h", "24h"]).default("1h") }))
    .query(async ({ ctx, input }) => {
      const c = await resolveContainer(ctx.services.db, ctx.actor.team.id, input.id);
      return { id: c.id, name: c.name, state: c.state, intervalMs: config().statsIntervalMs, points: await containerHistory(ctx.services.redis, c.id, input.range) };
    }),
  /** Every running container of the team with its newest usage. */
  running: teamProcedure("container.read").query(async ({ ctx }) => ({
    intervalMs: config().statsIntervalMs,
    containers: await runningStats(ctx.services.db, ctx.services.redis, ctx.actor.team.id),
  })),
});
export type { StatsRate } from "@berth/core";
export type { RunningStats } from "./history.js";
