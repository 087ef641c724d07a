import { z } from "zod";
import type { BerthEvent } from "@berth/core";
import { router, teamProcedure } from "../trpc.js";
import { recentEvents } from "../events/recent.js";

/** The dashboard's events page: the latest events of the current team (live ones then come over socket.io). */
export const eventRouter = router({
  recent: teamProcedure("events.read")
    .input(z.object({ limit: z.number().int().min(1).max(1000).default(200) }).optional())
    .query(({ ctx, input }): Promise<BerthEvent[]> => recentEvents(ctx.services, ctx.actor.team.id, input?.limit ?? 200)),
});
