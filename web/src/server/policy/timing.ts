import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";

/**
 * What the policy costs a request, told in its `Server-Timing` header: `auth;dur=…` who the
 * caller is (the token or session, as before teams), `policy;dur=…` the actor and its team plus
 * can(), `audit;dur=…` the audit row a change writes. A tRPC batch sums its procedures. The CLI
 * ignores the header; bench/policy-cost.mjs reads it.
 */

export type TimingName = "auth" | "policy" | "audit";

const responses = new WeakMap<IncomingMessage, ServerResponse>();
const totals = new WeakMap<ServerResponse, Map<TimingName, number>>();

/** Called once per request by the server, so code holding only `req` can time into the answer. */
export function trackTiming(req: IncomingMessage, res: ServerResponse): void {
  responses.set(req, res);
}

export function addTiming(req: IncomingMessage, name: TimingName, ms: number): void {
  const res = responses.get(req);
  if (!res || res.headersSent) return;
  let m = totals.get(res);
  if (!m) totals.set(res, (m = new Map()));
  m.set(name, (m.get(name) ?? 0) + ms);
  res.setHeader("server-timing", [...m].map(([k, v]) => `${k};dur=${v.toFixed(3)}`).join(", "));
}

/** Runs `fn`, adding its time to `name` (refused or not). */
export async function timed<T>(req: IncomingMessage, name: TimingName, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    addTiming(req, name, performance.now() - t0);
  }
}
