import { z } from "zod";
import { AlreadyExists, config, FailedPrecondition, PermissionDenied, Unauthenticated } from "@berth/core";
import { router, openProcedure, selfProcedure } from "../trpc.js";
import { setCookie, type Context } from "../context.js";
import { renamePersonalTeam } from "../teams/index.js";
import {
  clearedSessionCookie,
  createSession,
  deleteSession,
  hashPassword,
  newRowId,
  sessionCookie,
  verifyPassword,
} from "../auth/index.js";
import { checkSetupCode, consumeSetupCode, needsSetup } from "../auth/setup-code.js";
import { signInLimiter } from "../auth/sign-in-limit.js";
import { oidcProviderName } from "../auth/oidc.js";
import { announcePolicyChange } from "../edge/policy-changes.js";

const UserName = z
  .string()
  .trim()
  .min(1, "username is required")
  .max(64)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "letters, digits, '_', '.', '-' only");
const NewPassword = z.string().min(8, "password must be at least 8 characters").max(1024);
const Credentials = z.object({ name: UserName, password: z.string().min(1).max(1024) });

export { needsSetup };
/** Printed by `npm start` and kept in $BERTH_HOME/setup.code; `/?setup=CODE` fills it in the dashboard. */
const SetupCode = z.string().trim().max(256).optional();

async function startSession(ctx: Context, userId: string): Promise<void> {
  const { token, expiresAt } = await createSession(ctx.services.db, userId);
  setCookie(ctx.res, sessionCookie(token, expiresAt, ctx.req.headers));
}

export const authRouter = router({
  status: openProcedure.query(async ({ ctx }) => ({
    needsSetup: await needsSetup(ctx.services.db),
    /** "Sign in with <provider>" on the dashboard, when OpenID Connect is configured. */
    oidc: oidcProviderName(),
    user: ctx.user ? { name: ctx.user.name, isAdmin: ctx.user.isAdmin } : null,
  })),

  /** Claims the password-less admin account created at first start, and logs in; needs the one-time set-up code. */
  setup: openProcedure
    .input(z.object({ name: UserName, password: NewPassword, code: SetupCode }))
    .mutation(async ({ ctx, input }) => {
      const { db, log } = ctx.services;
      if (!(await needsSetup(db))) throw new FailedPrecondition("Berth is already set up: log in instead");
      const home = config().home;
      try {
        await checkSetupCode(home, input.code);
      } catch (err) {
        log.warn({ user: input.name, ip: ctx.req.socket.remoteAddress }, "set-up refused: missing or wrong set-up code");
        throw err;
      }
      const passwordHash = await hashPassword(input.password);
      const admin = await db.user.findFirst({ where: { isAdmin: true, passwordHash: null }, orderBy: { createdAt: "asc" } });
      let userId: string;
      if (admin) {
        const clash = await db.user.findUnique({ where: { name: input.name }, select: { id: true } });
        if (clash && clash.id !== admin.id) throw new AlreadyExists(`user "${input.name}" already exists`);
        // Conditional on "still no password", so two racing set-ups cannot both win.
        const { count } = await db.user.updateMany({
          where: { id: admin.id, passwordHash: null },
          data: { name: input.name, passwordHash },
        });
        if (count !== 1) throw new FailedPrecondition("Berth is already set up: log in instead");
        userId = admin.id;
        await renamePersonalTeam(db, userId, input.name);
      } else {
        // No password-less admin left (deleted by hand): create one, and back out if a racing set-up also did.
        const user = await db.user.create({ data: { id: newRowId(), name: input.name, isAdmin: true, passwordHash } });
        userId = user.id;
        if ((await db.user.count({ where: { passwordHash: { not: null } } })) > 1) {
          await db.user.delete({ where: { id: userId } }).catch(() => {});
          throw new FailedPrecondition("Berth is already set up: log in instead");
        }
      }
      await consumeSetupCode(home);
      log.info({ user: input.name }, "admin account set up");
      await startSession(ctx, userId);
      return { name: input.name };
    }),

  login: openProcedure.input(Credentials).mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    const address = ctx.req.socket.remoteAddress;
    signInLimiter.check(input.name, address);
    const user = await db.user.findUnique({ where: { name: input.name } });
    const ok = await verifyPassword(input.password, user?.passwordHash ?? null);
    if (!user || !ok) {
      signInLimiter.fail(input.name, address);
      ctx.services.log.info({ user: input.name, ip: address }, "failed login");
      throw new Unauthenticated("invalid username or password");
    }
    signInLimiter.succeed(input.name);
    await startSession(ctx, user.id);
    return { name: user.name };
  }),

  logout: selfProcedure.mutation(async ({ ctx }) => {
    if (ctx.user.sessionId) {
      await deleteSession(ctx.services.db, ctx.user.sessionId);
      // The session may also be an edge cookie: links refuse it from the next request on.
      await announcePolicyChange(ctx.services.redis, "sign-out");
    }
    setCookie(ctx.res, clearedSessionCookie(ctx.req.headers));
    return { ok: true as const };
  }),

  /**
   * The caller changes their own password (`berth passwd`, the dashboard's form): the old one
   * must match, and wrong guesses count against the sign-in limit. Other sessions end.
   */
  changePassword: selfProcedure
    .input(z.object({ oldPassword: z.string().max(1024), newPassword: NewPassword }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.user.readOnly) throw new PermissionDenied("this API token is read-only");
      const { db, log } = ctx.services;
      const address = ctx.req.socket.remoteAddress;
      signInLimiter.check(ctx.user.name, address);
      const user = await db.user.findUniqueOrThrow({ where: { id: ctx.user.id } });
      // No password yet (OpenID Connect sign-in, or the admin before set-up): a session or token
      // alone must not be enough to add one, or a stolen one would outlive its revocation.
      if (user.passwordHash === null) throw new FailedPrecondition("this account has no password to change (it signs in through OpenID Connect, or is not set up): ask the site admin");
      if (!(await verifyPassword(input.oldPassword, user.passwordHash))) {
        signInLimiter.fail(ctx.user.name, address);
        log.info({ user: ctx.user.name, ip: address }, "password change refused: wrong current password");
        throw new Unauthenticated("the current password is wrong");
      }
      signInLimiter.succeed(ctx.user.name);
      await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(input.newPassword) } });
      const { count } = await db.session.deleteMany({ where: { userId: user.id, ...(ctx.user.sessionId ? { id: { not: ctx.user.sessionId } } : {}) } });
      // The ended sessions' cookies no longer pass the edge from the next request on.
      if (count > 0) await announcePolicyChange(ctx.services.redis, "sessions ended");
      log.info({ user: ctx.user.name, sessionsEnded: count }, "password changed");
      return { ok: true as const };
    }),

  whoami: selfProcedure.query(({ ctx }) => ({ name: ctx.user.name, isAdmin: ctx.user.isAdmin })),
});
