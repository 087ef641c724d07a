import { z } from "zod";
import { buildStreamKey, type BuildEvent } from "@berth/core";
import { teamProcedure, router } from "../trpc.js";
import { authorizeBuildRead } from "./team.js";

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
});
