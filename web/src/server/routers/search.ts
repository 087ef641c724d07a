import { z } from "zod";
import { router, openProcedure } from "../trpc.js";
import { loadPrincipal } from "../registry/index.js";
import { listRepos, type RepoSummary } from "./repo.js";

export const searchRouter = router({
  /** Repositories whose name or description contains `q` (case-insensitive); private ones only for those who can see them. */
  query: openProcedure
    .input(z.object({ q: z.string().trim().max(256), limit: z.number().int().min(1).max(1000).optional() }))
    .query(async ({ ctx, input }): Promise<RepoSummary[]> => {
      // SQLite's LIKE (what `contains` becomes) ignores ASCII case.
      const where = input.q ? { OR: [{ name: { contains: input.q } }, { description: { contains: input.q } }] } : {};
      return listRepos(ctx.services.db, await loadPrincipal(ctx.services.db, ctx.user), where, input.limit ?? 100);
    }),
});
