/**
 * A short-lived memory of who a token, session or user is, so a push's dozens of requests do
 * not each read the same rows. Exact, not merely brief: any write to the tables these answers
 * come from (a token revoked, a session ended, a member added or removed, a role or a team's
 * name changed, a user deleted or made admin; cascades come from User and Team, watched too)
 * empties the cache when the statement runs and again when its transaction ends (core's
 * onTableWrite sees every statement of this process's client). A lookup that was under way
 * across such a write does not store its answer, which may predate it. The time limit only
 * bounds what another process could change behind this one's back (a second web on the file).
 */
import { onTableWrite, type PrismaClient } from "@berth/core/db";

/** The tables an answer here is read from, and the parents whose deletion cascades into them. */
export const AUTH_TABLES = ["User", "ApiToken", "Session", "TeamMember", "Team"] as const;

export const AUTH_CACHE_TTL_MS = 10_000;
const MAX_ENTRIES = 10_000;

export class AuthCache {
  private generation = 0;
  private readonly entries = new Map<string, { value: unknown; expiresAt: number }>();

  constructor(private readonly ttlMs = AUTH_CACHE_TTL_MS) {}

  /** Forgets everything (a watched table was written). */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  /** The cached answer for `key`, or `load()`'s, kept unless null or a write came while it loaded. */
  async get<T>(key: string, load: () => Promise<T | null>): Promise<T | null> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit) {
      if (hit.expiresAt > now) return hit.value as T;
      this.entries.delete(key);
    }
    const generation = this.generation;
    const value = await load();
    // null (unknown token, no such user) is not kept: a refusal is rare, and a new row needs no invalidation then.
    if (value !== null && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { value, expiresAt: Date.now() + this.ttlMs });
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}

const caches = new WeakMap<PrismaClient, AuthCache>();
const all = new Set<WeakRef<AuthCache>>();

onTableWrite(AUTH_TABLES, () => {
  for (const ref of all) {
    const c = ref.deref();
    if (c) c.invalidate();
    else all.delete(ref);
  }
});

/** The cache of answers read through `db` (one per client: tests run several databases in one process). */
export function authCacheFor(db: PrismaClient): AuthCache {
  let c = caches.get(db);
  if (!c) {
    c = new AuthCache();
    caches.set(db, c);
    all.add(new WeakRef(c));
  }
  return c;
}
