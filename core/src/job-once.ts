import type { Redis } from "ioredis";
import { BUILD_JOB, BUILD_STREAM_TTL_SECONDS, buildStreamKey, type BuildEvent } from "./queues.js";

// Exactly one outcome per job. BullMQ runs a job again when its lock lapses (a dead worker, a
// Redis stall): every writer of a build's `end` and of a job's result goes through a SET NX,
// so a second run finds the first outcome instead of writing its own.

/** Set once, with the build's end event (JSON): a second run of the build sees it and stops. */
export const buildEndKey = (buildId: string) => `build:${buildId}:end`;
/** Set when a run of the build starts (to the host's name): a later run knows the context went with the first. */
export const buildStartedKey = (buildId: string) => `build:${buildId}:started`;
/** A job's recorded outcome (its return value, JSON), by queue and job id. */
export const jobOutcomeKey = (queue: string, jobId: string) => `berth:job-outcome:${queue}:${jobId}`;
/** Hash of the jobs a host's worker is running: "<queue>\t<jobId>" → {token, name, buildId?}. */
export const activeJobsKey = (hostId: string) => `berth:active-jobs:${hostId}`;
// Long enough for BullMQ to deliver a lapsed job again (seconds to minutes), short enough to hold little.
export const JOB_OUTCOME_TTL_SECONDS = 3600;

// KEYS: stream, end key. ARGV: event JSON, TTL. The end goes into the stream only if the key was free.
const WRITE_END = `
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2]) then
  redis.call('XADD', KEYS[1], '*', 'e', ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** Appends `entry` to `stream` unless `endKey` already holds an end (then nothing); true when this call wrote it. */
export async function writeStreamEndOnce(redis: Redis, stream: string, endKey: string, entry: unknown, ttlSeconds: number): Promise<boolean> {
  return (await redis.eval(WRITE_END, 2, stream, endKey, JSON.stringify(entry), ttlSeconds)) === 1;
}

/** Appends the build's `end` event unless it already has one; true when this call wrote it. */
export async function writeBuildEnd(redis: Redis, buildId: string, ev: Extract<BuildEvent, { type: "end" }>): Promise<boolean> {
  const r = await redis.eval(WRITE_END, 2, buildStreamKey(buildId), buildEndKey(buildId), JSON.stringify(ev), BUILD_STREAM_TTL_SECONDS);
  return r === 1;
}

/** The build's end event, if one was written. */
export async function readBuildEnd(redis: Redis, buildId: string): Promise<Extract<BuildEvent, { type: "end" }> | undefined> {
  const v = await redis.get(buildEndKey(buildId));
  return v ? (JSON.parse(v) as Extract<BuildEvent, { type: "end" }>) : undefined;
}

/** The message a job cut off by a dead worker ends with (the CLI shows it as is). */
export const workerStoppedMessage = (hostName: string, what: "build" | "job") => `the worker on host ${hostName} stopped during this ${what}`;

/** What a worker records about each job it runs, under activeJobsKey(hostId). */
export interface ActiveJob {
  /** BullMQ's lock token of the delivery being run: ending the job needs it. */
  token: string;
  name: string;
  buildId?: string;
  /** The worker process running it (a random id per process, also sent on its /agent link). */
  instance?: string;
}

/** Moves a job to completed with `outcome` as its value (BullMQ's moveToCompleted with the lock token). */
export type CompleteJob = (queue: string, jobId: string, outcome: unknown, token: string) => Promise<void>;

/**
 * Ends, with "the worker on host X stopped during this …", the jobs listed as running on
 * `hostId` for which `whose(entry)` holds: a build gets its one `end` (unless it wrote one before
 * dying), every job its one recorded outcome (SET NX, so the worker's own start-up check and web's
 * lost-link check may both run), and whoever waits on the job hears now. Returns what it ended.
 */
export async function endJobsOfStoppedWorker(
  redis: Redis,
  o: { hostId: string; hostName: string; whose: (e: ActiveJob) => boolean; complete: CompleteJob; log: { warn(obj: object, msg: string): void } },
): Promise<{ queue: string; jobId: string; name: string }[]> {
  const key = activeJobsKey(o.hostId);
  const ended: { queue: string; jobId: string; name: string }[] = [];
  for (const [id, raw] of Object.entries(await redis.hgetall(key))) {
    const entry = JSON.parse(raw) as ActiveJob;
    if (!o.whose(entry)) continue;
    const [queue, jobId] = id.split("\t") as [string, string];
    const isBuild = entry.name === BUILD_JOB;
    const message = workerStoppedMessage(o.hostName, isBuild ? "build" : "job");
    let outcome: unknown = { ok: false, kind: "Unavailable", message };
    if (isBuild && entry.buildId) {
      // A build that wrote its end before the worker died keeps it: the job's value follows the end.
      const wrote = await writeBuildEnd(redis, entry.buildId, { type: "end", ok: false, kind: "Unavailable", message });
      if (!wrote) outcome = { ok: (await readBuildEnd(redis, entry.buildId))?.ok ?? false };
    }
    const first = await redis.set(jobOutcomeKey(queue, jobId), JSON.stringify(outcome), "EX", JOB_OUTCOME_TTL_SECONDS, "NX");
    if (first === "OK" && entry.token) {
      // Completed with the failure as its value (errors travel as values, see JobOutcome): whoever waits learns now.
      await o.complete(queue, jobId, outcome, entry.token).catch((err: unknown) =>
        // The lock lapsed already: BullMQ runs the job again, and that run finds the outcome recorded above.
        o.log.warn({ err: (err as Error).message, queue, jobId }, "could not end an interrupted job now; its next run will"),
      );
    }
    // Only the entry read: a new delivery of the job to a live worker has written its own since.
    await redis.eval(DELETE_IF_SAME, 1, key, id, raw);
    ended.push({ queue, jobId, name: entry.name });
  }
  return ended;
}

const DELETE_IF_SAME = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;
