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
});
export type StackConvergeJob = z.infer<typeof StackConvergeJob>;

/** One line of `up`'s progress, as Compose prints it: ` Container shop-db-1  Started`. */
export interface StackEvent {
  kind: "Network" | "Volume" | "Container";
  name: string;
  status: "Created" | "Recreated" | "Running" | "Started" | "Waiting" | "Healthy" | "Exited" | "Stopped" | "Restarted" | "Removed" | "Error";
  service?: string;
  error?: string;
}

/** One entry of a converge's stream (field `e`, JSON): progress lines, then exactly one end. */
export type StackRunEntry = { type: "event"; event: StackEvent } | { type: "end"; ok: true } | { type: "end"; ok: false; kind: string; message: string };

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
