import { z } from "zod";
import { AlreadyExists } from "@berth/core";
import { TRPCError } from "@trpc/server";
import { router, siteProcedure } from "../trpc.js";
import { createApiToken, hashPassword, newRowId } from "../auth/index.js";
import { ensurePersonalTeam } from "../policy/index.js";
import { assertNameFree } from "../teams/index.js";

/** A user's name is their registry namespace, so it follows the repository-name grammar. */
export const NewUserName = z
  .string()
  .trim()
  .min(1, "user name is required")
  .max(64)
  .regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/, "lowercase letters and digits, separated by '.', '_' or '-' (it is the user's registry namespace)");

export interface UserSummary {
  name: string;
  isAdmin: boolean;
  createdAt: string;
}

export const userRouter = router({
  list: siteProcedure.query(async ({ ctx }): Promise<UserSummary[]> => {
    const users = await ctx.services.db.user.findMany({ orderBy: { name: "asc" } });
    return users.map((u) => ({ name: u.name, isAdmin: u.isAdmin, createdAt: u.createdAt.toISOString() }));
  }),

  /** Admin only. Returns the new user's first API token (shown once). */
  create: siteProcedure
    .input(z.object({ name: NewUserName, admin: z.boolean().optional(), password: z.string().min(8, "password must be at least 8 characters").max(1024).optional() }))
    .mutation(async ({ ctx, input }): Promise<UserSummary & { token: string }> => {
      if (ctx.user.readOnly) throw new TRPCError({ code: "FORBIDDEN", message: "this API token is read-only" });
      const { db, log } = ctx.services;
      // Names differing only in case would share a namespace; a team's name is a namespace too.
      const clash = await db.user.findMany({ select: { name: true } }).then((us) => us.some((u) => u.name.toLowerCase() === input.name));
      if (clash) throw new AlreadyExists(`user "${input.name}" already exists`);
      await assertNameFree(db, input.name);
      const user = await db.user
        .create({
          data: { id: newRowId(), name: input.name, isAdmin: !!input.admin, passwordHash: input.password ? await hashPassword(input.password) : null },
        })
        .catch((e: unknown) => {
          if ((e as { code?: string }).code === "P2002") throw new AlreadyExists(`user "${input.name}" already exists`);
          throw e;
        });
      await ensurePersonalTeam(db, user);
      const token = await createApiToken(db, user.id, `created by ${ctx.user.name}`);
      log.info({ user: user.name, admin: user.isAdmin, by: ctx.user.name }, "user created");
      return { name: user.name, isAdmin: user.isAdmin, createdAt: user.createdAt.toISOString(), token };
    }),
});
