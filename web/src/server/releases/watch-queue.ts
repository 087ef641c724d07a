/**
 * The watch window as a job in Redis: enqueued when a release takes traffic, ended early by the
 * next deploy of its environment, and awaited by whoever deployed. The job's decision (one per
 * release) lives under releaseWatchOutcomeKey; watch-run.ts writes it.
 */
import {
  RELEASE_WATCH_JOB,
  RELEASE_WATCH_KEY_TTL_SECONDS,
  RELEASE_WATCH_OUTCOMES,
  RELEASE_WATCH_QUEUE,
  ReleaseWatchJob,
  releaseWatchCancelKey,
  releaseWatchEnvKey,
  releaseWatchJobId,
  releaseWatchOutcomeKey,
  type ReleaseWatchOutcome,
} from "@berth/core";
import type { Services } from "../services.js";

/** What the outcome key holds: a final outcome, or the rollback under way and why. */
export type WatchDecision = { state: ReleaseWatchOutcome; reason?: string } | { state: "rolling-back"; reason: string };

export async function readDecision(s: Services, releaseId: string): Promise<WatchDecision | null> {
  const raw = await s.redis.get(releaseWatchOutcomeKey(releaseId));
  if (!raw) return null;
  try {
    return JSON.parse(raw) as WatchDecision;
  } catch {
    return null;
  }
}

const isFinal = (d: WatchDecision | null): d is { state: ReleaseWatchOutcome } => d !== null && (RELEASE_WATCH_OUTCOMES as readonly string[]).includes(d.state);

/** Starts the release's watch window (a job any web takes, and the next one resumes). */
export async function enqueueWatch(s: Services, environmentId: string, job: ReleaseWatchJob): Promise<void> {
  const data = ReleaseWatchJob.parse(job);
  await s.redis.set(releaseWatchEnvKey(environmentId), data.releaseId, "EX", RELEASE_WATCH_KEY_TTL_SECONDS);
  await s.queues.get(RELEASE_WATCH_QUEUE).add(RELEASE_WATCH_JOB, data, {
    jobId: releaseWatchJobId(data.releaseId),
    attempts: 1,
    removeOnComplete: { age: 86_400, count: 1000 },
    removeOnFail: { age: 7 * 86_400 },
  });
}

/** Settles with how the release's watch ended (never rejects: a lost connection reads as "cancelled"). */
export async function waitForWatch(s: Services, releaseId: string, maxMs = Number.POSITIVE_INFINITY): Promise<ReleaseWatchOutcome | null> {
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    if (s.redis.status === "end") return "cancelled";
    try {
      const d = await readDecision(s, releaseId);
      if (isFinal(d)) return d.state;
    } catch {
      /* Redis away for a moment: ask again */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

/**
 * A new deploy of the environment decides now: the running watch there ends as "cancelled" at its
 * next probe (a rollback under way finishes first). Waits for it, up to two minutes (a watch no
 * web runs yet ends as cancelled when one takes it).
 */
export async function cancelWatch(s: Services, environmentId: string): Promise<void> {
  const releaseId = await s.redis.get(releaseWatchEnvKey(environmentId));
  if (!releaseId) return;
  if (isFinal(await readDecision(s, releaseId))) return;
  await s.redis.set(releaseWatchCancelKey(releaseId), "1", "EX", RELEASE_WATCH_KEY_TTL_SECONDS);
  abortLocal(releaseId);
  const job = await s.queues.get(RELEASE_WATCH_QUEUE).getJob(releaseWatchJobId(releaseId));
  if (!job) return;
  const state = await job.getState();
  if (state === "completed" || state === "failed" || state === "unknown") return;
  if (await waitForWatch(s, releaseId, 120_000) === null) s.log.warn({ releaseId, state }, "the release's watch did not end within 2 minutes of the new deploy; it ends as cancelled when a web takes it");
}

/** Whether a new deploy ended the release's watch. */
export async function watchCancelled(s: Services, releaseId: string): Promise<boolean> {
  return (await s.redis.exists(releaseWatchCancelKey(releaseId))) === 1;
}

// The watches this process runs: a cancel here wakes them at once rather than at their next probe.
const local = new Map<string, AbortController>();

export function localWatch(releaseId: string): { signal: AbortSignal; done: () => void } {
  const abort = new AbortController();
  local.set(releaseId, abort);
  return { signal: abort.signal, done: () => void (local.get(releaseId) === abort && local.delete(releaseId)) };
}

function abortLocal(releaseId: string): void {
  local.get(releaseId)?.abort();
}
