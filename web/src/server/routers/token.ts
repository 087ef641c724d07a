import { hostname } from "node:os";
import { z } from "zod";
import { FailedPrecondition, NotFound, PermissionDenied, Unauthenticated } from "@berth/core";
import { router, openProcedure, selfProcedure } from "../trpc.js";
import { bearerToken, createApiToken, sha256Hex, TOKEN_PREFIX, userForToken } from "../auth/index.js";
import { actorFor } from "../policy/index.js";
import { verifyCredentials } from "../registry/auth.js";
import { signInLimiter } from "../auth/sign-in-limit.js";
import { announcePolicyChange } from "../edge/policy-changes.js";

export interface TokenSummary {
  id: string;
  name: string;
  readOnly: boolean;
  /** The one team it is limited to; null: every team of its user. */
  team: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

const TokenName = z.string().trim().min(1).max(128);

export const tokenRouter = router({
  /** A new API token for the caller (shown once). A read-only one may only pull. */
  create: selfProcedure
    .input(z.object({ readOnly: z.boolean().optional(), name: TokenName.optional(), team: z.string().trim().min(1).max(64).optional() }).optional())
    .mutation(async ({ ctx, input }) => {
      // A token never makes one with more power than itself.
      if (ctx.user.readOnly) throw new PermissionDenied("this API token is read-only");
      const readOnly = !!input?.readOnly;
      // Limited to a team: one the caller is in (a team-limited token only to its own team).
      const teamId = input?.team !== undefined ? (await actorFor(ctx.services.db, ctx.user, input.team)).team.id : (ctx.user.teamId ?? null);
      const name = input?.name ?? `${readOnly ? "read-only " : ""}token created ${new Date().toISOString().slice(0, 10)}`;
      const token = await createApiToken(ctx.services.db, ctx.user.id, name, { readOnly, teamId });
      return { token, name, readOnly, team: input?.team ?? null };
    }),

  list: selfProcedure.query(async ({ ctx }): Promise<TokenSummary[]> => {
    const rows = await ctx.services.db.apiToken.findMany({ where: { userId: ctx.user.id }, include: { team: { select: { name: true } } }, orderBy: { createdAt: "asc" } });
    return rows.map((t) => ({ id: t.id, name: t.name, readOnly: t.readOnly, team: t.team?.name ?? null, createdAt: t.createdAt.toISOString(), lastUsedAt: t.lastUsedAt?.toISOString() ?? null }));
  }),

  /** Revokes one of the caller's tokens by id, or (no id) the token this request came with — what `berth logout` does. */
  revoke: selfProcedure.input(z.object({ id: z.string().max(64).optional() }).optional()).mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    if (!input?.id) {
      const presented = bearerToken(ctx.req.headers);
      if (!presented || ctx.user.via !== "token") throw new FailedPrecondition("this request did not come with an API token");
      await db.apiToken.deleteMany({ where: { hash: sha256Hex(presented), userId: ctx.user.id } });
      // Answered once the edge forgot it: the token's next request through a link is refused.
      await announcePolicyChange(ctx.services.redis, "token revoked");
      return { revoked: 1 };
    }
    if (ctx.user.readOnly) throw new PermissionDenied("this API token is read-only");
    const { count } = await db.apiToken.deleteMany({ where: { id: input.id, ...(ctx.user.isAdmin ? {} : { userId: ctx.user.id }) } });
    if (count === 0) throw new NotFound(`token ${input.id} not found`);
    await announcePolicyChange(ctx.services.redis, "token revoked");
    return { revoked: count };
  }),

  /**
   * `berth login`: a user name and password (or one of the user's API tokens as the password)
   * give a new API token for this client.
   */
  login: openProcedure
    .input(z.object({ name: z.string().trim().min(1).max(64), password: z.string().min(1).max(1024), client: z.string().max(128).optional() }))
    .mutation(async ({ ctx, input }) => {
      const who = ctx.req.socket.remoteAddress ?? "unknown";
      signInLimiter.check(input.name, who);
      const p = await verifyCredentials(ctx.services.db, input.name, input.password);
      if (!p?.id || !p.name) {
        signInLimiter.fail(input.name, who);
        ctx.services.log.info({ user: input.name }, "failed login (token)");
        throw new Unauthenticated("invalid username or password");
      }
      signInLimiter.succeed(input.name);
      const name = `berth login from ${input.client ?? hostname()}`;
      // A token given as the password passes on its limits: read-only, and its team.
      const teamId = input.password.startsWith(TOKEN_PREFIX) ? ((await userForToken(ctx.services.db, input.password))?.teamId ?? null) : null;
      const token = await createApiToken(ctx.services.db, p.id, name, { readOnly: p.readOnly, teamId });
      return { token, name: p.name, readOnly: p.readOnly };
    }),
});
