import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { Context } from "./context.js";
import { AUTH_REQUIRED_MESSAGE } from "./auth/index.js";
import { asBerthError, kindForCode, toTRPCError } from "./errors.js";

const t = initTRPC.context<Context>().create({
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
