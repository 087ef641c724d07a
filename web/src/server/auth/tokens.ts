import type { PrismaClient } from "@berth/core/db";
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

export async function userForToken(db: PrismaClient, token: string): Promise<AuthUser | null> {
  if (!token) return null;
  const row = await db.apiToken.findUnique({ where: { hash: sha256Hex(token) }, include: { user: true } });
  if (!row) return null;
  const now = Date.now();
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
    // Best effort, at most once a minute per token: not worth failing a request over.
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
  }
  return { id: row.user.id, name: row.user.name, isAdmin: row.user.isAdmin, via: "token", readOnly: row.readOnly, teamId: row.teamId };
}
