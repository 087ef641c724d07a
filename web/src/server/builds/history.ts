/**
 * A team's builds, for the dashboard's queue and history: what each build was asked to do
 * (tags, Dockerfile, options, who), kept in Redis beside its output stream, and its status
 * read from that stream's end event or from the builds queue. Builds have no database row: they
 * are short-lived jobs whose output already lives in Redis, so their record does too (bounded:
 * the last HISTORY_MAX per team, for HISTORY_TTL_SECONDS).
 */
import { BUILDS_QUEUE, buildStreamKey, readBuildEnd, type BuildEvent, type BuildJob } from "@berth/core";
import type { Services } from "../services.js";

export const HISTORY_MAX = 200;
export const HISTORY_TTL_SECONDS = 7 * 24 * 3600;
/** Inline contexts kept for "retry" (at most INLINE_CONTEXT_MAX bytes each): a day. */
export const RETRY_CONTEXT_TTL_SECONDS = 24 * 3600;

const teamKey = (teamId: string) => `builds:${teamId}`;
const recordKey = (buildId: string) => `build-record:${buildId}`;
const contextKey = (buildId: string) => `build-context:${buildId}`;

export interface BuildRecord {
  id: string;
  teamId: string;
  user: string;
  tags: string[];
  dockerfile: string;
  target?: string;
  buildArgs: Record<string, string>;
  noCache: boolean;
  network: string;
  jobId?: string;
  createdAt: string;
  /** The build this one re-ran. */
  retryOf?: string;
}

export type BuildStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "unknown";

export interface BuildSummary extends BuildRecord {
  status: BuildStatus;
  /** The image built (succeeded), or the error (failed, cancelled). */
  imageId?: string;
  error?: { kind: string; message: string };
  /** Whether the dashboard can run it again (its context was small enough to keep). */
  retryable: boolean;
}

/** Kind of the end event a cancel writes; the worker stops when it sees an end it did not write. */
export const CANCELLED_KIND = "Cancelled";

export async function recordBuild(s: Services, rec: BuildRecord, inlineContext?: string): Promise<void> {
  const m = s.redis.multi();
  m.set(recordKey(rec.id), JSON.stringify(rec), "EX", HISTORY_TTL_SECONDS);
  m.zadd(teamKey(rec.teamId), Date.parse(rec.createdAt), rec.id);
  m.zremrangebyrank(teamKey(rec.teamId), 0, -HISTORY_MAX - 1);
  m.expire(teamKey(rec.teamId), HISTORY_TTL_SECONDS);
  if (inlineContext !== undefined) m.set(contextKey(rec.id), inlineContext, "EX", RETRY_CONTEXT_TTL_SECONDS);
  await m.exec();
}

export async function setBuildJob(s: Services, rec: BuildRecord, jobId: string | undefined): Promise<void> {
  if (!jobId) return;
  await s.redis.set(recordKey(rec.id), JSON.stringify({ ...rec, jobId }), "EX", HISTORY_TTL_SECONDS);
}

export async function readRecord(s: Services, buildId: string): Promise<BuildRecord | undefined> {
  const v = await s.redis.get(recordKey(buildId));
  return v ? (JSON.parse(v) as BuildRecord) : undefined;
}

export async function readRetryContext(s: Services, buildId: string): Promise<string | undefined> {
  return (await s.redis.get(contextKey(buildId))) ?? undefined;
}

/** The team's builds, newest first. */
export async function listBuilds(s: Services, teamId: string, limit: number): Promise<BuildSummary[]> {
  const ids = await s.redis.zrevrange(teamKey(teamId), 0, limit - 1);
  if (ids.length === 0) return [];
  const raw = await s.redis.mget(ids.map(recordKey));
  const recs = raw.flatMap((v) => (v ? [JSON.parse(v) as BuildRecord] : []));
  return Promise.all(recs.map((r) => summarize(s, r)));
}

export async function summarize(s: Services, rec: BuildRecord): Promise<BuildSummary> {
  const [end, hasContext] = await Promise.all([readBuildEnd(s.redis, rec.id), s.redis.exists(contextKey(rec.id))]);
  const base = { ...rec, retryable: hasContext === 1 };
  if (end) return { ...base, ...fromEnd(end) };
  return { ...base, status: await queueStatus(s, rec) };
}

function fromEnd(end: Extract<BuildEvent, { type: "end" }>): Pick<BuildSummary, "status" | "imageId" | "error"> {
  if (end.ok) return { status: "succeeded", imageId: end.id };
  return { status: end.kind === CANCELLED_KIND ? "cancelled" : "failed", error: { kind: end.kind, message: end.message } };
}

/** No end yet: waiting in the queue, running on a worker, or lost (the job and its output expired). */
async function queueStatus(s: Services, rec: BuildRecord): Promise<BuildStatus> {
  const job = rec.jobId ? await s.queues.get(BUILDS_QUEUE).getJob(rec.jobId) : undefined;
  const state = job ? await job.getState() : "unknown";
  if (state === "waiting" || state === "delayed" || state === "prioritized" || state === "waiting-children") return "queued";
  if (state === "active") return "running";
  if (state === "failed") return "failed";
  // Output without an end and no job to ask: the stream tells whether it ever started.
  return (await s.redis.exists(buildStreamKey(rec.id))) ? "running" : "unknown";
}

/** The job payload of a retry: the same options and kept context, under a new build id. */
export function retryPayload(rec: BuildRecord, buildId: string, inline: string): BuildJob {
  return {
    buildId,
    context: { inline },
    tags: rec.tags,
    dockerfile: rec.dockerfile,
    ...(rec.target ? { target: rec.target } : {}),
    buildArgs: rec.buildArgs,
    noCache: rec.noCache,
    network: rec.network as BuildJob["network"],
    teamId: rec.teamId,
  };
}
