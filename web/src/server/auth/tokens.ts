import type { PrismaClient } from "@berth/core/db";
import { authCacheFor } from "./cache.js";
import { newRowId, randomSecret, sha256Hex } from "./crypto.js";
import type { AuthUser } from "./types.js";

export const TOKEN_PREFIX = "berth_";

/** Creates an API token; only its sha256 is stored. Returns the secret (shown once). */
export async function createApiToken(db: PrismaClient, userId: string, name: string, opts: { readOnly?: boolean; teamId?: string | null } = {}): Promise<string> {
  const token = randomSecret(TOKEN_PREFIX);
  await db.apiToken.create({ data: { id: newRowId(), userId, name, hash: sha256Hex(token), readOnly: !!opts.readOnly, teamId: opts.teamId ?? null } });
  return token;
}

const TOUCH_INTERVAL_MS = 60_000;

interface TokenUserRow {
  id: string;
  readOnly: unknown;
  teamId: string | null;
  lastUsedAt: unknown;
  userId: string;
  name: string;
  isAdmin: unknown;
}

/** The token's user (null: no such token). Kept briefly in memory; revoking a token forgets it at once (cache.ts). */
export async function userForToken(db: PrismaClient, token: string): Promise<AuthUser | null> {
  if (!token) return null;
  return authCacheFor(db).get(`token:${sha256Hex(token)}`, () => loadTokenUser(db, token));
}

async function loadTokenUser(db: PrismaClient, token: string): Promise<AuthUser | null> {
  // One plain join: every CLI call and registry token exchange starts here, and a Prisma
  // relation load costs several times the SQL.
  const rows = await db.$queryRaw<TokenUserRow[]>`
    SELECT t."id", t."readOnly", t."teamId", t."lastUsedAt", u."id" AS "userId", u."name", u."isAdmin"
    FROM "ApiToken" t JOIN "User" u ON u."id" = t."userId" WHERE t."hash" = ${sha256Hex(token)}`;
  const row = rows[0];
  if (!row) return null;
  const now = Date.now();
  const last = row.lastUsedAt === null ? NaN : new Date(row.lastUsedAt as string | number | Date).getTime();
  if (!(now - last <= TOUCH_INTERVAL_MS)) {
    // Best effort, at most once a minute per token: not worth failing a request over.
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
  }
  return { id: row.userId, name: row.name, isAdmin: Boolean(row.isAdmin), via: "token", readOnly: Boolean(row.readOnly), teamId: row.teamId, tokenId: row.id };
}
