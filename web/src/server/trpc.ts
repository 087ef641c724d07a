import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { Context } from "./context.js";
import { AUTH_REQUIRED_MESSAGE } from "./auth/index.js";
import { asBerthError, kindForCode, toTRPCError } from "./errors.js";
import { actorFor, can, teamFromHeaders, type Action, type TeamAction } from "./policy/index.js";
import { recordAudit, requestOrigin, targetOf } from "./audit/index.js";
import { addTiming, timed } from "./policy/timing.js";
import { performance } from "node:perf_hooks";

/** Every procedure declares its policy (the coverage test walks the router for it). */
export interface Meta {
  policy: Action;
}

const t = initTRPC.context<Context>().meta<Meta>().create({
  errorFormatter({ shape, error }) {
    const berth = asBerthError(error.cause);
    const zod = error.cause instanceof ZodError ? error.cause : undefined;
    return {
      ...shape,
      // Readable input errors for the CLI: "name: Invalid string" rather than a JSON dump.
      message: zod ? zod.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ") : shape.message,
      data: { ...shape.data, kind: berth?.kind ?? kindForCode(error.code) ?? null, stack: undefined },
    };
  },
});

/** Turns core error kinds thrown by handlers into tRPC errors (the mapping lives in errors.ts). */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const berth = asBerthError(result.error.cause);
    if (berth && result.error.code === "INTERNAL_SERVER_ERROR") throw toTRPCError(berth);
  }
  return result;
});

const logErrors = t.middleware(async ({ ctx, path, type, next }) => {
  const result = await next();
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR") {
    ctx.services.log.error({ err: result.error.cause ?? result.error, path, type }, "tRPC procedure failed");
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(logErrors).use(mapErrors);

/** Requires a session or an API token; narrows ctx.user. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: AUTH_REQUIRED_MESSAGE });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/** Changes state: refused to read-only API tokens. */
export const mutatingProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.user.readOnly) throw new TRPCError({ code: "FORBIDDEN", message: "this API token is read-only" });
  return next();
});

export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!ctx.user.isAdmin) throw new TRPCError({ code: "FORBIDDEN", message: "admin only" });
  return next();
});

/**
 * A procedure acting in the caller's current team (the team header, else the token's team,
 * else the personal team): the policy decides on `action` before the handler runs, the handler
 * gets `ctx.actor` and scopes its queries to `ctx.actor.team.id`. Mutations are audited,
 * refused or not.
 */
export function teamProcedure(action: TeamAction) {
  return protectedProcedure.meta({ policy: action }).use(async ({ ctx, type, path, getRawInput, next }) => {
    const { db, log } = ctx.services;
    const audit = async (result: string, actor?: { id: string; name: string }, detail = "") => {
      if (type !== "mutation") return;
      const input = await getRawInput().catch(() => undefined);
      await timed(ctx.req, "audit", () => recordAudit(db, log, { actorId: ctx.user.id, actorName: ctx.user.name, teamId: actor?.id ?? null, teamName: actor?.name ?? teamFromHeaders(ctx.req.headers) ?? null, action: path, target: targetOf(input), result, detail }, requestOrigin(ctx.req)));
    };
    const t0 = performance.now();
    const spent = () => addTiming(ctx.req, "policy", performance.now() - t0);
    // A procedure about a team names it in its input (`team rm NAME`); the rest act in the current team.
    const raw = await getRawInput().catch(() => undefined);
    const named = raw && typeof raw === "object" && typeof (raw as { team?: unknown }).team === "string" ? (raw as { team: string }).team : undefined;
    let actor;
    try {
      actor = await actorFor(db, ctx.user, named ?? teamFromHeaders(ctx.req.headers));
    } catch (err) {
      spent();
      await audit(asBerthError(err)?.kind ?? "Internal", undefined, (err as Error).message);
      throw err;
    }
    const decision = can(actor, action);
    spent();
    if (!decision.allow) {
      await audit(decision.error.kind, actor.team, decision.error.message);
      throw decision.error;
    }
    const result = await next({ ctx: { ...ctx, actor } });
    if (result.ok) await audit("ok", actor.team);
    else await audit(asBerthError(result.error.cause)?.kind ?? kindForCode(result.error.code) ?? "Internal", actor.team, result.error.message);
    return result;
  });
}

/** No sign-in needed (status, login, set-up). */
export const openProcedure = publicProcedure.meta({ policy: "public" });
/** The caller's own account (whoami, their tokens, their password, their teams). */
export const selfProcedure = protectedProcedure.meta({ policy: "self" });
/**
 * The site admin's (users, quotas, host paths, garbage collection); changes refused to read-only
 * tokens. Mutations are audited with their result, refused or not (in the team the input names).
 */
export const siteProcedure = protectedProcedure.meta({ policy: "site" }).use(async ({ ctx, type, path, getRawInput, next }) => {
  const { db, log } = ctx.services;
  const audit = async (result: string, detail = "") => {
    if (type !== "mutation") return;
    const input = await getRawInput().catch(() => undefined);
    const team = input && typeof input === "object" && typeof (input as { team?: unknown }).team === "string" ? (input as { team: string }).team : null;
    const row = team ? await db.team.findUnique({ where: { name: team }, select: { id: true } }) : null;
    await timed(ctx.req, "audit", () => recordAudit(db, log, { actorId: ctx.user.id, actorName: ctx.user.name, teamId: row?.id ?? null, teamName: team, action: path, target: targetOf(input), result, detail }, requestOrigin(ctx.req)));
  };
  const refusal = !ctx.user.isAdmin ? "admin only" : type === "mutation" && ctx.user.readOnly ? "this API token is read-only" : undefined;
  if (refusal) {
    await audit("PermissionDenied", refusal);
    throw new TRPCError({ code: "FORBIDDEN", message: refusal });
  }
  const result = await next();
  if (result.ok) await audit("ok");
  else await audit(asBerthError(result.error.cause)?.kind ?? kindForCode(result.error.code) ?? "Internal", result.error.message);
  return result;
});
