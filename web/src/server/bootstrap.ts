import { chmod, readFile, rename, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { homePaths, type Logger } from "@berth/core";
import { prepareDb, type PrismaClient } from "@berth/core/db";
import { createApiToken, newRowId, sha256Hex } from "./auth/index.js";
import { ensureSetupCode } from "./auth/setup-code.js";
import { ensurePersonalTeam } from "./policy/index.js";

export const ADMIN_NAME = "admin";
export const ADMIN_TOKEN_NAME = "admin.token";

/**
 * Start-up: DB pragmas, the admin user (no password until someone claims it in the
 * dashboard with the one-time code in `$BERTH_HOME/setup.code`), and `$BERTH_HOME/admin.token`
 * holding a valid API token of the admin.
 */
export async function bootstrap(db: PrismaClient, home: string, log: Logger): Promise<void> {
  await prepareDb(db);
  const admin = await ensureAdminUser(db, log);
  await ensurePersonalTeam(db, admin);
  await ensureAdminToken(db, admin.id, homePaths(home).adminToken, log);
  await ensureSetupCode(db, home, log);
}

async function ensureAdminUser(db: PrismaClient, log: Logger): Promise<{ id: string; name: string }> {
  const existing = await db.user.findFirst({ where: { isAdmin: true }, orderBy: { createdAt: "asc" }, select: { id: true, name: true } });
  if (existing) return existing;
  if ((await db.user.count()) === 0) {
    const user = await db.user.create({ data: { id: newRowId(), name: ADMIN_NAME, isAdmin: true, passwordHash: null } });
    log.info({ user: user.name }, "created the admin user (claim it in the dashboard)");
    return user;
  }
  // Users but no admin: promote the oldest one rather than invent a second account.
  const oldest = await db.user.findFirstOrThrow({ orderBy: { createdAt: "asc" }, select: { id: true, name: true } });
  await db.user.update({ where: { id: oldest.id }, data: { isAdmin: true } });
  log.warn({ user: oldest.name }, "no admin user: promoted the oldest user");
  return oldest;
}

async function ensureAdminToken(db: PrismaClient, adminId: string, file: string, log: Logger): Promise<void> {
  const current = await readFile(file, "utf8").then((s) => s.trim(), () => "");
  if (current) {
    const row = await db.apiToken.findUnique({ where: { hash: sha256Hex(current) }, select: { userId: true } });
    if (row?.userId === adminId) {
      await chmod(file, 0o600);
      return;
    }
  }
  const token = await createApiToken(db, adminId, ADMIN_TOKEN_NAME);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, token, { mode: 0o600 });
  await rename(tmp, file);
  log.info({ file }, current ? "admin token was not valid for this database: wrote a new one" : "wrote the admin API token");
}
