/**
 * The watch window after a release takes traffic: its health check keeps running on every new
 * replica until the window's end; a replica that fails it (Compose's rules: `retries` failures in
 * a row, or its own check turning unhealthy, or its container exiting) ends the watch with the
 * reason, and the release before comes back (deploy-rollback.ts). The watch is a job in Redis
 * (watch-queue.ts, run by watch-runner.ts), so a restart of web during the window resumes it.
 */
import type { ReleaseHealth, ReleaseWatchOutcome } from "@berth/core";
import type { Services } from "../services.js";
import { probeOnce, type Replica } from "./health.js";

export type WatchOutcome = ReleaseWatchOutcome;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Probes every replica each interval until `until` (epoch ms), at least once (a watch resumed
 * after its window still looks: nobody watched the gap): null when they stayed healthy or the
 * watch was cancelled (`signal`, or `cancelled()` saying so between rounds), else the replica that
 * failed and why.
 */
export async function watchHealth(
  s: Services,
  home: string,
  replicas: Replica[],
  h: ReleaseHealth,
  until: number,
  signal: AbortSignal,
  cancelled: () => Promise<boolean> = async () => false,
): Promise<{ replica: Replica; why: string } | null> {
  const failures = new Map<string, number>();
  let end = until;
  for (let round = 0; !signal.aborted && (round === 0 || Date.now() < end); round++) {
    if (await cancelled()) return null;
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
      // Failures go on counting past the window's end until they decide (a retry in flight is not a pass).
      if (n >= h.retries) return { replica: r, why: `${n} checks in a row failed; the last: ${p.detail}` };
      if (Date.now() >= end) end = Date.now() + h.intervalMs;
    }
    await sleep(h.kind === "http" ? h.intervalMs : Math.min(h.intervalMs, 1_000), signal);
  }
  return null;
}
