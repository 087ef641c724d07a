import { z } from "zod";
import { router, teamProcedure } from "../trpc.js";
import { listRemoved } from "./removed.js";

export const logsRouter = router({
  /** Removed containers whose logs are kept (until BERTH_LOG_RETENTION_HOURS runs out). */
  removed: teamProcedure("container.logs")
    .input(z.object({ limit: z.number().int().min(1).max(1000).default(200) }).default({ limit: 200 }))
    .query(async ({ ctx, input }) => {
      const rows = await listRemoved(ctx.services.redis, ctx.actor.team.id, input.limit);
      return rows.map(({ teamId: _t, hostId: _h, ...r }) => r);
    }),
});
export type { RemovedLogs } from "@berth/core";
