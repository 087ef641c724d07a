import { randomBytes } from "node:crypto";
import { EDGE_LINK_PREFIX, edgeKeys, EdgeVisibilitySchema, type EdgeVisibility } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import { sha256Hex } from "../auth/index.js";
import { announcePolicyChange } from "./policy-changes.js";

/**
 * Port links' state, kept in Redis (persistent: appendonly) beside the container's id: the
 * visibility of each port (absent: private) and capability secrets (stored hashed, expiring
 * with the link). The schema has no table for these yet; stacks will own one.
 */

/** A link's visibility; `linkId` is a container's id or a stack service's link id (stackLinkId). */
export async function getVisibility(redis: Redis, linkId: string, port: number, fallback: EdgeVisibility = "private"): Promise<EdgeVisibility> {
  const v = await redis.hget(edgeKeys.visibility(linkId), String(port));
  const parsed = EdgeVisibilitySchema.safeParse(v);
  return parsed.success ? parsed.data : fallback;
}

export async function listVisibilities(redis: Redis, containerId: string): Promise<Map<number, EdgeVisibility>> {
  const all = await redis.hgetall(edgeKeys.visibility(containerId));
  const out = new Map<number, EdgeVisibility>();
  for (const [port, v] of Object.entries(all)) {
    const parsed = EdgeVisibilitySchema.safeParse(v);
    if (parsed.success) out.set(Number(port), parsed.data);
  }
  return out;
}

/** Sets a link's visibility (stored only where it differs from the link's default). */
export async function setVisibility(redis: Redis, linkId: string, port: number, v: EdgeVisibility, fallback: EdgeVisibility = "private"): Promise<void> {
  if (v === fallback) await redis.hdel(edgeKeys.visibility(linkId), String(port));
  else await redis.hset(edgeKeys.visibility(linkId), String(port), v);
  // The edge's cached answers for this link are void now (not when their TTL ends).
  await announcePolicyChange(redis, `visibility ${linkId}`);
}

export async function forgetContainer(redis: Redis, containerId: string): Promise<void> {
  await redis.del(edgeKeys.visibility(containerId));
}

/** A new capability secret for one port, valid `ttlMs`. Only its hash is stored. */
export async function createCapability(redis: Redis, containerId: string, port: number, ttlMs: number): Promise<{ secret: string; expiresAt: Date }> {
  const secret = EDGE_LINK_PREFIX + randomBytes(24).toString("base64url");
  await redis.set(edgeKeys.capability(sha256Hex(secret)), JSON.stringify({ containerId, port }), "PX", ttlMs);
  return { secret, expiresAt: new Date(Date.now() + ttlMs) };
}

/**
 * Whether `secret` opens (containerId, port), and for how many more seconds. The query-parameter
 * form works once (a link pasted in a chat is not a standing key); cookie and header forms
 * work until the link expires.
 */
export async function checkCapability(redis: Redis, secret: string, containerId: string, port: number, fromQuery: boolean): Promise<{ ok: true; maxAgeS: number } | { ok: false; reason: string }> {
  if (!secret.startsWith(EDGE_LINK_PREFIX)) return { ok: false, reason: "not a capability link" };
  const hash = sha256Hex(secret);
  const [raw, ttl] = await Promise.all([redis.get(edgeKeys.capability(hash)), redis.pttl(edgeKeys.capability(hash))]);
  if (!raw || ttl <= 0) return { ok: false, reason: "this link has expired or was never issued: ask for a new one (berth port-link create)" };
  const target = JSON.parse(raw) as { containerId: string; port: number };
  if (target.containerId !== containerId || target.port !== port) return { ok: false, reason: "this link is for another port" };
  if (fromQuery) {
    const first = await redis.set(edgeKeys.capabilityUsed(hash), "1", "PX", ttl, "NX");
    if (first !== "OK") return { ok: false, reason: "this link was already opened once: open it from the browser that opened it, or ask for a new one" };
  }
  return { ok: true, maxAgeS: Math.max(1, Math.floor(ttl / 1000)) };
}

/** One-time code that hands a session secret from web's host to a link's host (60 s). */
export async function createSignInCode(redis: Redis, sessionSecret: string): Promise<string> {
  const code = randomBytes(24).toString("base64url");
  await redis.set(edgeKeys.signInCode(code), sessionSecret, "PX", 60_000);
  return code;
}
