import type { Redis } from "ioredis";
import { BUILD_STREAM_TTL_SECONDS, buildStreamKey, type BuildEvent } from "./queues.js";

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
