/**
 * An open exec, attach or terminal link keeps its container's stack awake for as long as it is
 * open, typing or not (issue 15: "no attached terminal ... for N minutes"). Each link holds a
 * lease in Redis (STACK_SESSIONS_KEY) that this process renews while the link lives; the worker's
 * freezer skips a stack with a live lease. When the link closes its lease goes and the idle
 * clock starts again from then. A web that dies stops renewing: its leases lapse by themselves.
 */
import { EDGE_LAST_REQUEST_KEY, SESSION_LEASE_MS, SESSION_RENEW_MS, STACK_SESSIONS_KEY } from "@berth/core";
import type { Services } from "../services.js";

const field = (containerId: string, session: string) => `${containerId}/${session}`;

/** Every lease this process holds, renewed together. */
const held = new Map<string, Services>();
let renewer: NodeJS.Timeout | undefined;

function renewAll(): void {
  const by = new Map<Services, string[]>();
  for (const [f, s] of held) by.set(s, [...(by.get(s) ?? []), f]);
  const until = String(Date.now() + SESSION_LEASE_MS);
  for (const [s, fields] of by) {
    s.redis.hset(STACK_SESSIONS_KEY, Object.fromEntries(fields.map((f) => [f, until]))).catch((err: Error) => s.log.warn({ err: err.message }, "could not renew the terminal sessions' leases"));
  }
}

async function hold(s: Services, containerId: string, session: string): Promise<void> {
  const f = field(containerId, session);
  held.set(f, s);
  renewer ??= setInterval(renewAll, SESSION_RENEW_MS).unref();
  await s.redis.hset(STACK_SESSIONS_KEY, f, String(Date.now() + SESSION_LEASE_MS));
}

async function release(s: Services, containerId: string, session: string): Promise<void> {
  const f = field(containerId, session);
  held.delete(f);
  if (!held.size && renewer) {
    clearInterval(renewer);
    renewer = undefined;
  }
  // The idle clock starts when the last link closes, not when it opened.
  await s.redis.multi().hdel(STACK_SESSIONS_KEY, f).hset(EDGE_LAST_REQUEST_KEY, containerId, String(Date.now())).exec();
}

/**
 * A client socket's session links (the set terminal.ts keeps), each tied to its container: adding
 * one with `hold` takes its lease, removing it (exit, close, disconnect) lets it go.
 */
export class AwakeSessions extends Set<string> {
  private readonly containers = new Map<string, string>();

  constructor(private readonly s: Services) {
    super();
  }

  /** The link `session` (added when it started) into `containerId` is open: its stack stays awake until it is deleted. */
  hold(session: string, containerId: string): void {
    // Already ended (its exit came before its ack): nothing to hold.
    if (!this.has(session) || this.containers.has(session)) return;
    this.containers.set(session, containerId);
    hold(this.s, containerId, session).catch((err: Error) => this.s.log.warn({ err: err.message, containerId }, "could not record an open terminal session: its stack may freeze under it"));
  }

  override delete(session: string): boolean {
    const containerId = this.containers.get(session);
    if (containerId !== undefined) {
      this.containers.delete(session);
      release(this.s, containerId, session).catch((err: Error) => this.s.log.warn({ err: err.message, containerId }, "could not end a terminal session's lease (it lapses by itself)"));
    }
    return super.delete(session);
  }

  override clear(): void {
    for (const session of [...this]) this.delete(session);
  }
}
