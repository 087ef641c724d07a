import fs from "node:fs";
import { agentKeyPath, type EdgeAuthorizeRequest, type EdgeDecision, type Logger } from "@berth/core";

const WEB_TIMEOUT_MS = 1_500;
/** After web failed to answer, serve from the cache (stale included) this long before asking again. */
const WEB_DOWN_BACKOFF_MS = 1_000;
const MAX_ENTRIES = 10_000;
/**
 * An answer past its TTL by less than this is still used while a fresh one is asked for in the
 * background (one ask per key at a time): a busy link never waits for web, and a changed policy
 * takes effect one round trip after the TTL.
 */
export const REVALIDATE_WINDOW_MS = 30_000;

/**
 * The cache key of a question: its host and credentials. Header values hold no line breaks
 * (the HTTP parser refuses them), so the fields cannot run into one another. The cache lives in
 * this process's memory, as the credentials of the requests in flight do.
 */
const cacheKeyOf = (q: EdgeAuthorizeRequest): string => `${q.host}\n${q.session ?? ""}\n${q.token ?? ""}\n${q.link ?? ""}`;

/**
 * Asks web (POST /api/edge/authorize, which runs the one policy module) whether a request may
 * pass, and caches the answer for the TTL web gives. While web does not answer (restarting,
 * stopped) a cached answer is used even past its TTL, so links keep working; a request with
 * credentials never seen before gets 503 then.
 */
export class EdgeAuthorizer {
  private cache = new Map<string, { d: EdgeDecision; until: number }>();
  private inFlight = new Map<string, Promise<EdgeDecision | "unavailable">>();
  private webDownUntil = 0;
  private key: string | undefined;
  /** Bumped by forget(): an answer asked for before it is not kept. */
  private generation = 0;

  constructor(
    private readonly webUrl: string,
    private readonly home: string,
    private readonly log: Logger,
  ) {}

  /** The cached answer for `q` while it is fresh (no I/O, no promise: a busy link's path), else undefined. */
  cached(q: EdgeAuthorizeRequest): EdgeDecision | undefined {
    if (q.linkFromQuery) return undefined;
    const hit = this.cache.get(cacheKeyOf(q));
    return hit && hit.until > Date.now() ? hit.d : undefined;
  }

  /** Until when (Date.now() ms) the cached answer for `q` stays fresh; 0 when it is not. */
  freshUntil(q: EdgeAuthorizeRequest): number {
    if (q.linkFromQuery) return 0;
    const hit = this.cache.get(cacheKeyOf(q));
    return hit && hit.until > Date.now() ? hit.until : 0;
  }

  /** Forgets every answer (web said a policy input changed: a visibility, a session, a member...). */
  forget(): void {
    this.generation++;
    this.cache.clear();
  }

  async decide(q: EdgeAuthorizeRequest): Promise<EdgeDecision | "unavailable"> {
    // The once-only query form of a capability link is never answered from the cache.
    const cacheKey = q.linkFromQuery ? null : cacheKeyOf(q);
    const hit = cacheKey ? this.cache.get(cacheKey) : undefined;
    const now = Date.now();
    if (hit && hit.until > now) return hit.d;
    if (hit && now < this.webDownUntil) return hit.d;
    if (!cacheKey) return this.fetchDecision(q, null, undefined);
    let pending = this.inFlight.get(cacheKey);
    if (!pending) {
      pending = this.fetchDecision(q, cacheKey, hit).finally(() => this.inFlight.delete(cacheKey));
      this.inFlight.set(cacheKey, pending);
    }
    if (hit && now - hit.until < REVALIDATE_WINDOW_MS) return hit.d;
    return pending;
  }

  /**
   * Asks web again now (one ask per question at a time, joined by decide()) and caches its answer:
   * renews a busy fast-path grant before the answer it replays goes stale. While web is down,
   * the cached answer (stale or not), else "unavailable".
   */
  async refresh(q: EdgeAuthorizeRequest): Promise<EdgeDecision | "unavailable"> {
    if (q.linkFromQuery) return "unavailable";
    const cacheKey = cacheKeyOf(q);
    const hit = this.cache.get(cacheKey);
    if (Date.now() < this.webDownUntil) return hit ? hit.d : "unavailable";
    let pending = this.inFlight.get(cacheKey);
    if (!pending) {
      pending = this.fetchDecision(q, cacheKey, hit).finally(() => this.inFlight.delete(cacheKey));
      this.inFlight.set(cacheKey, pending);
    }
    return pending;
  }

  private async fetchDecision(q: EdgeAuthorizeRequest, cacheKey: string | null, hit: { d: EdgeDecision } | undefined): Promise<EdgeDecision | "unavailable"> {
    let d: EdgeDecision;
    const generation = this.generation;
    try {
      d = await this.ask(q);
    } catch (err) {
      this.webDownUntil = Date.now() + WEB_DOWN_BACKOFF_MS;
      this.log.warn({ err: (err as Error).message }, "edge: web did not answer an authorization; using cached answers");
      return hit ? hit.d : "unavailable";
    }
    if (cacheKey && generation === this.generation) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
      this.cache.set(cacheKey, { d, until: Date.now() + d.ttlMs });
    }
    return d;
  }

  private async ask(q: EdgeAuthorizeRequest, retried = false): Promise<EdgeDecision> {
    this.key ??= fs.readFileSync(agentKeyPath(this.home), "utf8").trim();
    const res = await fetch(`${this.webUrl}/api/edge/authorize`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-berth-edge-key": this.key },
      body: JSON.stringify(q),
      signal: AbortSignal.timeout(WEB_TIMEOUT_MS),
    });
    if (res.status === 403 && !retried) {
      // The agent key was rotated: read it again.
      this.key = undefined;
      await res.body?.cancel();
      return this.ask(q, true);
    }
    if (!res.ok) throw new Error(`web answered ${res.status} to /api/edge/authorize: ${await res.text()}`);
    return (await res.json()) as EdgeDecision;
  }
}
