import type { IncomingHttpHeaders } from "node:http";
import type { PrismaClient } from "@berth/core/db";
import { authCacheFor } from "./cache.js";
import { newRowId, randomSecret, sha256Hex } from "./crypto.js";
import type { AuthUser } from "./types.js";

export const SESSION_COOKIE = "berth_session";
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

export async function createSession(db: PrismaClient, userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = randomSecret();
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.session.create({ data: { id: newRowId(), userId, hash: sha256Hex(token), expiresAt } });
  return { token, expiresAt };
}

/** The session's user (null: unknown or expired). Kept briefly in memory; signing out forgets it at once (cache.ts). */
export async function userForSession(db: PrismaClient, token: string): Promise<AuthUser | null> {
  if (!token) return null;
  const s = await authCacheFor(db).get(`session:${sha256Hex(token)}`, async () => {
    const row = await db.session.findUnique({ where: { hash: sha256Hex(token) }, include: { user: true } });
    return row ? { user: { id: row.user.id, name: row.user.name, isAdmin: row.user.isAdmin, via: "session", readOnly: false, sessionId: row.id } satisfies AuthUser, expiresAt: row.expiresAt.getTime() } : null;
  });
  if (!s) return null;
  if (s.expiresAt <= Date.now()) {
    await db.session.deleteMany({ where: { id: s.user.sessionId } }).catch(() => {});
    return null;
  }
  return s.user;
}

export async function deleteSession(db: PrismaClient, sessionId: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sessionId } });
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (!k || k in out) continue;
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

const isHttps = (headers: IncomingHttpHeaders) =>
  String(headers["x-forwarded-proto"] ?? "").split(",")[0]?.trim() === "https";

/** Set-Cookie value for a new session (httpOnly, SameSite=Lax; Secure behind an https proxy). */
export function sessionCookie(token: string, expiresAt: Date, headers: IncomingHttpHeaders): string {
  const attrs = [
    `${SESSION_COOKIE}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Expires=${expiresAt.toUTCString()}`,
    `Max-Age=${Math.floor((expiresAt.getTime() - Date.now()) / 1000)}`,
  ];
  if (isHttps(headers)) attrs.push("Secure");
  return attrs.join("; ");
}

export function clearedSessionCookie(headers: IncomingHttpHeaders): string {
  const attrs = [`${SESSION_COOKIE}=`, "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=0", "Expires=Thu, 01 Jan 1970 00:00:00 GMT"];
  if (isHttps(headers)) attrs.push("Secure");
  return attrs.join("; ");
}
