import type { IncomingHttpHeaders } from "node:http";
import type { PrismaClient } from "@berth/core/db";
import { parseCookies, SESSION_COOKIE, userForSession } from "./sessions.js";
import { userForToken } from "./tokens.js";
import type { AuthUser } from "./types.js";

export type { AuthUser } from "./types.js";
export { hashPassword, verifyPassword, sha256Hex, newRowId } from "./crypto.js";
export { createApiToken, userForToken, TOKEN_PREFIX } from "./tokens.js";
export { createSession, deleteSession, userForSession, sessionCookie, clearedSessionCookie, SESSION_COOKIE, SESSION_TTL_MS } from "./sessions.js";

export const AUTH_REQUIRED_MESSAGE = "authentication required: log in, or pass an API token (BERTH_TOKEN)";

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const h = headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

/**
 * Who is calling: an API token (Authorization: Bearer, or `token` for socket.io) wins;
 * otherwise the session cookie. A presented but unknown token never falls back to the cookie.
 */
export async function authenticate(
  db: PrismaClient,
  headers: IncomingHttpHeaders,
  explicitToken?: string,
): Promise<AuthUser | null> {
  const token = explicitToken ?? bearerToken(headers);
  if (token !== undefined) return userForToken(db, token);
  const session = parseCookies(headers.cookie)[SESSION_COOKIE];
  if (session) return userForSession(db, session);
  return null;
}
