import { z } from "zod";

// ---- Release watch window (issue 17) ---------------------------------------------------------
// After a release takes traffic its health is watched for the environment's window; a failure
// there rolls back to the release before. The watch is a job in Redis, not a timer in web: a
// restart or crash of web during the window leaves the job active with a lapsed lock, and the
// next web to start takes it over (BullMQ's stalled-job check) and watches until the window's
// end. The rollback itself runs in web (it switches the edge's route and converges the stack).

export const RELEASE_WATCH_QUEUE = "release-watch";
export const RELEASE_WATCH_JOB = "release.watch";

const ContainerId = z.string().regex(/^[0-9a-f]{64}$/, "a 64-hex container id");

export const ReleaseWatchJob = z.object({
  releaseId: z.string().min(1).max(64),
  /** The window's end (epoch ms). A watch resumed after it still probes once: nobody watched the gap. */
  until: z.number().int().nonnegative(),
  /** The window's length as the environment said at the switch (for messages). */
  seconds: z.number().int().min(0).max(86_400),
  /** The release that served before (its number): what a failure rolls back to; null: none. */
  previous: z.number().int().positive().nullable(),
  /** The release's web replicas to probe. */
  replicas: z.array(z.object({ id: ContainerId, name: z.string().min(1).max(256) })).max(1000),
  /** The replicas of the release before, stopped: removed when the window passes. */
  retained: z.array(ContainerId).max(1000),
  /** Who deployed (the rollback acts with a member's rights in the project's team, in their name). */
  by: z.object({ userId: z.string().max(64), userName: z.string().max(256) }),
});
export type ReleaseWatchJob = z.infer<typeof ReleaseWatchJob>;

/** How a watch ended; exactly one per release. */
export const RELEASE_WATCH_OUTCOMES = ["stable", "rolled-back", "unhealthy", "cancelled"] as const;
export type ReleaseWatchOutcome = (typeof RELEASE_WATCH_OUTCOMES)[number];

/** One job per release (BullMQ refuses ':' in custom ids). */
export const releaseWatchJobId = (releaseId: string) => `watch-${releaseId}`;
/** The release an environment's watch is for (the newest one enqueued). */
export const releaseWatchEnvKey = (environmentId: string) => `berth:release-watch:env:${environmentId}`;
/** Set by a new deploy of the environment: the watch of this release ends (as "cancelled") at its next probe. */
export const releaseWatchCancelKey = (releaseId: string) => `berth:release-watch:cancel:${releaseId}`;
/**
 * The watch's decision, written once (SET NX): `{"state":"rolling-back","reason":…}` while the
 * rollback runs (a resumed watch finishes that rollback, never decides again), then the outcome.
 */
export const releaseWatchOutcomeKey = (releaseId: string) => `berth:release-watch:outcome:${releaseId}`;
/** Outlives any window (at most a day) and the job's own retention. */
export const RELEASE_WATCH_KEY_TTL_SECONDS = 2 * 86_400;
