import { hostname } from "node:os";
import { z } from "zod";
import { FailedPrecondition, NotFound, PermissionDenied, Unauthenticated } from "@berth/core";
import { router, publicProcedure, protectedProcedure, mutatingProcedure } from "../trpc.js";
import { bearerToken, createApiToken, sha256Hex } from "../auth/index.js";
import { verifyCredentials } from "../registry/auth.js";
import { FailureLimiter } from "../registry/token.js";

export interface TokenSummary {
  id: string;
  name: string;
  readOnly: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

const TokenName = z.string().trim().min(1).max(128);
const loginFailures = new FailureLimiter();

export const tokenRouter = router({
  /** A new API token for the caller (shown once). A read-only one may only pull. */
  create: mutatingProcedure
    .input(z.object({ readOnly: z.boolean().optional(), name: TokenName.optional() }).optional())
    .mutation(async ({ ctx, input }) => {
      const readOnly = !!input?.readOnly;
      const name = input?.name ?? `${readOnly ? "read-only " : ""}token created ${new Date().toISOString().slice(0, 10)}`;
      const token = await createApiToken(ctx.services.db, ctx.user.id, name, { readOnly });
      return { token, name, readOnly };
    }),

  list: protectedProcedure.query(async ({ ctx }): Promise<TokenSummary[]> => {
    const rows = await ctx.services.db.apiToken.findMany({ where: { userId: ctx.user.id }, orderBy: { createdAt: "asc" } });
    return rows.map((t) => ({ id: t.id, name: t.name, readOnly: t.readOnly, createdAt: t.createdAt.toISOString(), lastUsedAt: t.lastUsedAt?.toISOString() ?? null }));
  }),

  /** Revokes one of the caller's tokens by id, or (no id) the token this request came with — what `berth logout` does. */
  revoke: protectedProcedure.input(z.object({ id: z.string().max(64).optional() }).optional()).mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    if (!input?.id) {
      const presented = bearerToken(ctx.req.headers);
      if (!presented || ctx.user.via !== "token") throw new FailedPrecondition("this request did not come with an API token");
      await db.apiToken.deleteMany({ where: { hash: sha256Hex(presented), userId: ctx.user.id } });
      return { revoked: 1 };
    }
    if (ctx.user.readOnly) throw new PermissionDenied("this API token is read-only");
    const { count } = await db.apiToken.deleteMany({ where: { id: input.id, ...(ctx.user.isAdmin ? {} : { userId: ctx.user.id }) } });
    if (count === 0) throw new NotFound(`token ${input.id} not found`);
    return { revoked: count };
  }),

  /**
   * `berth login`: a user name and password (or one of the user's API tokens as the password)
   * give a new API token for this client.
   */
  login: publicProcedure
    .input(z.object({ name: z.string().trim().min(1).max(64), password: z.string().min(1).max(1024), client: z.string().max(128).optional() }))
    .mutation(async ({ ctx, input }) => {
      const who = ctx.req.socket.remoteAddress ?? "unknown";
      if (loginFailures.blocked(who)) throw new PermissionDenied("too many failed logins: try again in a minute");
      const p = await verifyCredentials(ctx.services.db, input.name, input.password);
      if (!p?.id || !p.name) {
        loginFailures.fail(who);
        ctx.services.log.info({ user: input.name }, "failed login (token)");
        throw new Unauthenticated("invalid username or password");
      }
      const name = `berth login from ${input.client ?? hostname()}`;
      const token = await createApiToken(ctx.services.db, p.id, name, { readOnly: p.readOnly });
      return { token, name: p.name, readOnly: p.readOnly };
    }),
});
