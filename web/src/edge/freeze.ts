import fs from "node:fs";
import { agentKeyPath, EDGE_LAST_REQUEST_KEY, EDGE_THAW_PATH, FROZEN_CONTAINERS_KEY, STACK_FREEZE_CHANNEL, type Logger, type StackFreezeMessage } from "@berth/core";
import type { Redis } from "@berth/core/redis";

/** Last-request times go to Redis at most this often per container (the worker's idle clock needs seconds, not each request). */
const TOUCH_EVERY_MS = 1_000;
/** The frozen set is read again this often, in case a pub/sub message was missed (Redis restarted, a reconnect). */
const RESYNC_MS = 5_000;
/** How long a held request waits for web to thaw its stack. */
const THAW_TIMEOUT_MS = 60_000;

/**
 * The edge's part in idle freeze: it records when each container last got a request (the
 * worker freezes a stack idle past its freeze_after), knows which containers are frozen, and
 * holds a request to a frozen one while web thaws its stack, so the user sees a slow first
 * response, never an error. A request already on its way to a container that gets frozen
 * under it (the sweep raced it) thaws the stack at once, the same way.
 */
export class EdgeFreeze {
  private frozen = new Set<string>();
  private touched = new Map<string, number>();
  private written = new Map<string, number>();
  private thawing = new Map<string, Promise<void>>();
  private inFlight = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private key: string | undefined;
  /** Called when a container is frozen: the fast path drops its grants (requests to it must be held here). */
  onFreeze: (() => void) | undefined;

  constructor(
    private readonly redis: Redis,
    /** A second connection for SUBSCRIBE (a subscribed connection takes no other commands). */
    private readonly sub: Redis,
    private readonly webUrl: string,
    private readonly home: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.sub.on("message", (channel: string, text: string) => {
      if (channel !== STACK_FREEZE_CHANNEL) return;
      try {
        this.apply(JSON.parse(text) as StackFreezeMessage);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "edge: a freeze message could not be read");
      }
    });
    await this.sub.subscribe(STACK_FREEZE_CHANNEL).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, "edge: subscribing to stack freezes failed"));
    await this.resync();
    this.timers.push(setInterval(() => void this.flush(), TOUCH_EVERY_MS), setInterval(() => void this.resync(), RESYNC_MS));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }

  private apply(m: StackFreezeMessage): void {
    for (const id of m.containerIds) {
      if (!m.frozen) {
        this.frozen.delete(id);
        continue;
      }
      this.frozen.add(id);
      this.onFreeze?.();
      // Frozen under a request already passed on: it would wait for ever, so thaw now.
      if ((this.inFlight.get(id) ?? 0) > 0) void this.thaw(id).catch((err: unknown) => this.log.warn({ err: (err as Error).message, container: id.slice(0, 12) }, "edge: thawing under a request failed"));
    }
  }

  private async resync(): Promise<void> {
    try {
      const next = new Set(await this.redis.smembers(FROZEN_CONTAINERS_KEY));
      const added = [...next].some((id) => !this.frozen.has(id));
      this.frozen = next;
      if (added) this.onFreeze?.();
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, "edge: reading the frozen containers failed; keeping the last set");
    }
  }

  private async flush(): Promise<void> {
    const due = [...this.touched].filter(([id, at]) => at !== this.written.get(id));
    if (!due.length) return;
    try {
      await this.redis.hset(EDGE_LAST_REQUEST_KEY, Object.fromEntries(due.map(([id, at]) => [id, String(at)])));
      for (const [id, at] of due) this.written.set(id, at);
      if (this.touched.size > 10_000) [this.touched, this.written] = [new Map(), new Map()];
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, "edge: recording last requests failed");
    }
  }

  /** Requests the fast path sent to these containers: activity, as if they had passed here. */
  touch(containerIds: string[]): void {
    const now = Date.now();
    for (const id of containerIds) this.touched.set(id, now);
  }

  /** The fast path had requests in flight to these when it dropped its grants: any frozen under them is thawed now. */
  thawUnder(containerIds: string[]): void {
    for (const id of containerIds) {
      if (this.frozen.has(id)) void this.thaw(id).catch((err: unknown) => this.log.warn({ err: (err as Error).message, container: id.slice(0, 12) }, "edge: thawing under a fast-path request failed"));
    }
  }

  /**
   * Before a request goes to `containerId`: records it and, unless the container is frozen,
   * counts it at once and returns the function to call when the request is done; null when it
   * is frozen (then `hold`). No I/O and no promise: this is every request's path.
   */
  enter(containerId: string): (() => void) | null {
    this.touched.set(containerId, Date.now());
    return this.frozen.has(containerId) ? null : this.count(containerId);
  }

  private count(containerId: string): () => void {
    this.inFlight.set(containerId, (this.inFlight.get(containerId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.inFlight.get(containerId) ?? 1) - 1;
      if (n > 0) this.inFlight.set(containerId, n);
      else this.inFlight.delete(containerId);
    };
  }

  /**
   * Like `enter`, and when the container is frozen, waits until web has thawed its stack first.
   * Returns the function to call when the request is done.
   */
  async hold(containerId: string): Promise<() => void> {
    const now = this.enter(containerId);
    if (now) return now;
    // A request to a frozen stack is itself activity: written now, so the sweep does not freeze it again at once.
    await this.redis.hset(EDGE_LAST_REQUEST_KEY, containerId, String(Date.now())).catch(() => undefined);
    await this.thaw(containerId);
    return this.count(containerId);
  }

  /** One thaw per container at a time; every request held for it waits for the same one. */
  private thaw(containerId: string): Promise<void> {
    let p = this.thawing.get(containerId);
    if (!p) {
      p = this.askThaw(containerId).finally(() => this.thawing.delete(containerId));
      this.thawing.set(containerId, p);
    }
    return p;
  }

  private async askThaw(containerId: string, retried = false): Promise<void> {
    this.key ??= fs.readFileSync(agentKeyPath(this.home), "utf8").trim();
    const res = await fetch(`${this.webUrl}${EDGE_THAW_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-berth-edge-key": this.key },
      body: JSON.stringify({ containerId }),
      signal: AbortSignal.timeout(THAW_TIMEOUT_MS),
    });
    if (res.status === 403 && !retried) {
      this.key = undefined;
      await res.body?.cancel();
      return this.askThaw(containerId, true);
    }
    if (!res.ok) throw new Error(`web answered ${res.status} to ${EDGE_THAW_PATH}: ${await res.text()}`);
    await res.body?.cancel();
    this.frozen.delete(containerId);
  }
}
