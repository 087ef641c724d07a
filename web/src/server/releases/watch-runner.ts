/**
 * Runs the release watch jobs in web (their rollback switches the edge's route, which is web's
 * work, and answers the start-first hand-off of the environment stack's converge). A web that
 * dies mid-window leaves its jobs active with a lock nobody renews; the lock lapses after LOCK_MS
 * and the next web's stalled-job check takes them back, so every watch ends once, whichever web
 * started it.
 */
import { Worker } from "bullmq";
import { RELEASE_WATCH_JOB, RELEASE_WATCH_QUEUE, ReleaseWatchJob } from "@berth/core";
import { connectRedis } from "@berth/core/redis";
import type { Services } from "../services.js";
import { runWatch, watchBroke } from "./watch-run.js";
import { localWatch } from "./watch-queue.js";

/** A dead web's watch is taken over within about LOCK_MS + STALLED_MS. */
const LOCK_MS = 10_000;
const STALLED_MS = 5_000;

export function startReleaseWatchRunner(s: Services): { close: () => Promise<void> } {
  const worker = new Worker(
    RELEASE_WATCH_QUEUE,
    async (job) => {
      if (job.name !== RELEASE_WATCH_JOB) throw new Error(`unknown job "${job.name}" on ${RELEASE_WATCH_QUEUE}`);
      const { releaseId } = ReleaseWatchJob.parse(job.data);
      const w = localWatch(releaseId);
      try {
        return await runWatch(s, job.data, w.signal);
      } catch (err) {
        await watchBroke(s, releaseId, err as Error);
        throw err;
      } finally {
        w.done();
      }
    },
    // Watches mostly wait between probes: many at once. Every restart of web stalls them once more.
    { connection: connectRedis(s.redisUrl), concurrency: 100, lockDuration: LOCK_MS, stalledInterval: STALLED_MS, maxStalledCount: 1000 },
  );
  worker.on("failed", (job, err) => s.log.error({ id: job?.id, err: err.message }, "release watch failed"));
  worker.on("error", (err) => s.log.warn({ err: err.message }, "release watch queue error"));
  // Shutting down, the running watches are left as they are: their locks lapse and the next web resumes them.
  return { close: () => worker.close(true) };
}
