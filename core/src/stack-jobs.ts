import { z } from "zod";
import type { Redis } from "ioredis";
import { HostPathGrant } from "./volume-jobs.js";
import { writeStreamEndOnce } from "./job-once.js";

// ---- Stacks: converge in the worker ------------------------------------------------------------
// Web records a stack's file as its desired state (the Stack row) and enqueues one converge on the
// host queue of the host that runs the stack. The worker writes each progress line, then one end,
// to the Redis stream stackRunStreamKey(runId); web relays it to the CLI and the dashboard.

export const JOB_STACK = { converge: "stack.converge" } as const;

export const StackConvergeJob = z.object({
  /** Names this converge's progress stream (one per `up`). */
  runId: z.string().uuid(),
  stackId: z.string().min(1).max(64),
  teamId: z.string().min(1).max(64),
  /** Only these services (and what they depend on); all when empty. */
  services: z.array(z.string().max(128)).max(256).default([]),
  /** Whoever ran `up` is the site admin: their images by id and host binds need no grant. */
  siteAdmin: z.boolean().default(false),
  /** The team's granted host paths (web checked the binds against them before enqueueing). */
  hostPaths: z.array(HostPathGrant).max(1024).optional(),
  /**
   * Services replaced start-first (branch previews, environment releases): a changed replica's new
   * container starts beside the old one, the worker asks web to run `ready` for it (a `ready` entry
   * in the run's stream, answered on stackReadyReplyKey) and waits, and only then do the old ones
   * go. Services gone from the file are then removed last, once the rest is up.
   */
  startFirst: z
    .object({
      /** One replica at a time: `ready` gets the new replica and the ones it replaces. */
      one: z.array(z.string().max(128)).max(256).default([]),
      /** All replicas at once: `ready` gets every new replica and all the old ones, and says which old ones to retain (stopped). */
      all: z.array(z.string().max(128)).max(256).default([]),
      /** A `one` service's new replica gets its service's network names only once ready (the old one then drains and stops). */
      namesOnceReady: z.boolean().default(false),
    })
    .optional(),
});
export type StackConvergeJob = z.infer<typeof StackConvergeJob>;

/** A container in a start-first hand-off: enough for web to find its row. */
export const StackReadyContainer = z.object({ id: z.string().min(1).max(128), name: z.string().max(256), number: z.number().int() });
export type StackReadyContainer = z.infer<typeof StackReadyContainer>;

/** The worker asks web to run a start-first service's `ready` (the entry's `id` names its answer). */
export const StackReadyRequest = z.object({
  type: z.literal("ready"),
  id: z.string().min(1).max(64),
  service: z.string().max(128),
  /** The replicas to keep (one for a `one` service, all for an `all` service), started, without traffic yet. */
  keep: z.array(StackReadyContainer),
  /** The service's containers they replace (still as they were: running, or stopped and retained). */
  replaced: z.array(StackReadyContainer),
});
export type StackReadyRequest = z.infer<typeof StackReadyRequest>;

/** Web's answer to a ready request: go on (retaining these old containers, stopped), or stop the converge with this error. */
export const StackReadyReply = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), retain: z.array(z.string().max(128)).default([]) }),
  z.object({ ok: z.literal(false), kind: z.string().max(64), message: z.string().max(8192) }),
]);
export type StackReadyReply = z.infer<typeof StackReadyReply>;

/** Where web pushes its answer to ready request `id` of run `runId` (a list; the worker pops it). */
export const stackReadyReplyKey = (runId: string, id: string) => `stack-run-ready:${runId}:${id}`;
/**
 * Set by the web that follows start-first run `runId` and refreshed while it does: the worker
 * stops waiting for an answer once it lapses (web restarted mid-deploy), not after its long limit.
 */
export const stackReadyFollowerKey = (runId: string) => `stack-run-follower:${runId}`;
/** How long the follower key lives without a refresh; web refreshes it every third of that. */
export const STACK_READY_FOLLOWER_TTL_SECONDS = 15;

/** One line of `up`'s progress, as Compose prints it: ` Container shop-db-1  Started`. */
export interface StackEvent {
  kind: "Network" | "Volume" | "Container";
  name: string;
  status: "Created" | "Recreated" | "Running" | "Started" | "Waiting" | "Healthy" | "Exited" | "Stopped" | "Restarted" | "Removed" | "Error";
  service?: string;
  error?: string;
}

/** One entry of a converge's stream (field `e`, JSON): progress lines and ready requests, then exactly one end. */
export type StackRunEntry = { type: "event"; event: StackEvent } | StackReadyRequest | { type: "end"; ok: true } | { type: "end"; ok: false; kind: string; message: string };

export const stackRunStreamKey = (runId: string) => `stack-run:${runId}`;
/** The run's stack, team and job (a hash): who may read it, and where its outcome is if the worker died. */
export const stackRunMetaKey = (runId: string) => `stack-run-meta:${runId}`;
export const STACK_RUN_TTL_SECONDS = 3600;

/** Set once with the run's end (JSON), so a second delivery of the job, or web ending it for a dead worker, never adds another. */
export const stackRunEndKey = (runId: string) => `stack-run-end:${runId}`;

/** Appends the run's end unless it has one; true when this call wrote it. */
export async function writeStackRunEnd(redis: Redis, runId: string, end: Extract<StackRunEntry, { type: "end" }>): Promise<boolean> {
  return writeStreamEndOnce(redis, stackRunStreamKey(runId), stackRunEndKey(runId), end, STACK_RUN_TTL_SECONDS);
}
