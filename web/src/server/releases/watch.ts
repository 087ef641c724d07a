/**
 * The watch window after a release takes traffic: its health check keeps running on every new
 * replica for the environment's `watchSeconds`; a replica that fails it (Compose's rules: `retries`
 * failures in a row, or its own check turning unhealthy, or its container exiting) ends the watch
 * with the reason, and the deploy rolls back to the release that served before. One watch per
 * environment: a new deploy there ends the running one first.
 */
import type { ReleaseHealth } from "@berth/core";
import type { Services } from "../services.js";
import { probeOnce, type Replica } from "./health.js";

export type WatchOutcome = "stable" | "rolled-back" | "unhealthy" | "cancelled";

const active = new Map<string, { abort: AbortController; done: Promise<WatchOutcome> }>();

/** Ends the environment's running watch (if any) and waits until it has (a rollback under way finishes first). */
export async function cancelWatch(environmentId: string): Promise<void> {
  const w = active.get(environmentId);
  if (!w) return;
  w.abort.abort();
  await w.done;
}

/** Runs `body` as the environment's watch; it never rejects (a failure is logged and reads as "unhealthy"). */
export function startWatch(s: Services, environmentId: string, body: (signal: AbortSignal) => Promise<WatchOutcome>): Promise<WatchOutcome> {
  const abort = new AbortController();
  const done = body(abort.signal)
    .catch((err: unknown) => {
      s.log.error({ err: (err as Error).message, environmentId }, "release watch failed");
      return "unhealthy" as const;
    })
    .finally(() => {
      if (active.get(environmentId)?.done === done) active.delete(environmentId);
    });
  active.set(environmentId, { abort, done });
  return done;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Probes every replica each interval until `ms` have passed: null when they stayed healthy (or
 * the watch was cancelled), else the replica that failed and why.
 */
export async function watchHealth(s: Services, home: string, replicas: Replica[], h: ReleaseHealth, ms: number, signal: AbortSignal): Promise<{ replica: Replica; why: string } | null> {
  const end = Date.now() + ms;
  const failures = new Map<string, number>();
  while (!signal.aborted && Date.now() < end) {
    for (const r of replicas) {
      const p = await probeOnce(s, home, r, h);
      if (p.ok) {
        failures.set(r.id, 0);
        continue;
      }
      if (p.final || p.state === "unhealthy") return { replica: r, why: p.detail };
      // The container's own check counts its failures itself (it says "unhealthy" when they are enough).
      if (h.kind !== "http") continue;
      const n = (failures.get(r.id) ?? 0) + 1;
      failures.set(r.id, n);
      if (n >= h.retries) return { replica: r, why: `${n} checks in a row failed; the last: ${p.detail}` };
    }
    await sleep(h.kind === "http" ? h.intervalMs : Math.min(h.intervalMs, 1_000), signal);
  }
  return null;
}
