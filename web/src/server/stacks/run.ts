import { randomUUID } from "node:crypto";
import {
  JOB_STACK,
  NotFound,
  STACK_RUN_TTL_SECONDS,
  Unavailable,
  hostQueueName,
  jobOutcomeKey,
  stackRunMetaKey,
  stackRunStreamKey,
  writeStackRunEnd,
  type StackConvergeJob,
  type StackEvent,
  type StackReadyRequest,
  type StackRunEntry,
} from "@berth/core";
import { runRequest, startOrder, type ComposeProject } from "@berth/core/compose";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { hostPowerRefusal } from "../policy/index.js";
import { pickHost } from "../hosts.js";
import { checkContainerQuota } from "../teams/quota.js";
import { teamHostPaths } from "../teams/host-paths.js";
import { stackContainers } from "./containers.js";

/** Where a run of a stack is and who may read it. */
interface RunMeta {
  stackId: string;
  teamId: string;
  queue: string;
  hostName: string;
}

/**
 * Admits `up`: every container the file asks for passes the same checks `berth run` makes before
 * anything is recorded (host paths and powers, the team's container quota for the new ones).
 * Returns what the worker needs from the policy: the granted host paths.
 */
export async function admitUp(s: Services, actor: Actor, project: ComposeProject, services: string[]) {
  const teamId = actor.team.id;
  const plans = startOrder(project, services).flatMap((name) => Array.from({ length: project.services[name]!.replicas }, (_, i) => runRequest(project, project.services[name]!, i + 1)));
  const grants = !actor.siteAdmin && plans.some((p) => p.options.mounts.some((m) => m.type === "bind")) ? await teamHostPaths(s.db, teamId) : [];
  for (const p of plans) {
    const refusal = hostPowerRefusal(actor, p.options, grants);
    if (refusal) throw refusal;
  }
  const have = new Set((await stackContainers(s, teamId, project.name)).map((c) => c.row.name));
  for (const p of plans) if (!have.has(p.name)) await checkContainerQuota(s.db, teamId, p.options);
  return { grants };
}

/**
 * Enqueues the converge of a recorded stack on its host (the one its containers run on, else the
 * least loaded): the worker reads the desired state from the row and streams its progress.
 */
export async function enqueueConverge(s: Services, actor: Actor, stackId: string, stackName: string, services: string[], grants: { path: string; readOnly: boolean }[], startFirst?: StackConvergeJob["startFirst"]): Promise<string> {
  const teamId = actor.team.id;
  const placed = (await stackContainers(s, teamId, stackName))[0]?.row.hostId;
  const host = placed ? await s.db.host.findUnique({ where: { id: placed }, select: { id: true, name: true } }) : await pickHost(s.db);
  if (!host) throw new Unavailable("no worker host is online: start one with npm start");
  const runId = randomUUID();
  const queue = hostQueueName(host.id);
  const meta: RunMeta = { stackId, teamId, queue, hostName: host.name };
  await s.redis.set(stackRunMetaKey(runId), JSON.stringify(meta), "EX", STACK_RUN_TTL_SECONDS);
  const payload: StackConvergeJob = { runId, stackId, teamId, services, siteAdmin: actor.siteAdmin, ...(actor.siteAdmin ? {} : { hostPaths: grants }), ...(startFirst ? { startFirst } : {}) };
  await s.queues.get(queue).add(JOB_STACK.converge, payload, { jobId: runId, removeOnComplete: 1000, removeOnFail: 1000 });
  return runId;
}

export interface RunProgress {
  events: StackEvent[];
  /** Pass back as `after` for the next lines. */
  cursor: string;
  /** Present once the run ended: ok, or why it stopped (the events say how far it got). */
  end?: { ok: true } | { ok: false; kind: string; message: string };
  /**
   * With `ready` asked for: a start-first converge asking web whether new replicas are ready (the
   * lines read stop there, and `cursor` is the request's: the next read goes on after it). Only the
   * caller that enqueued the run answers it (stacks/ready.ts); other readers never see one.
   */
  ready?: StackReadyRequest;
}

/**
 * The lines of a run after `cursor`. A run whose worker died has no end in its stream: the job's
 * recorded outcome ("the worker on host X stopped during this job") ends it, here, once.
 */
export async function runProgress(s: Services, teamId: string, stackId: string, runId: string, after = "0", waitMs = 0, opts: { ready?: boolean } = {}): Promise<RunProgress> {
  const raw = await s.redis.get(stackRunMetaKey(runId));
  const meta = raw ? (JSON.parse(raw) as RunMeta) : undefined;
  if (!meta || meta.teamId !== teamId || meta.stackId !== stackId) throw new NotFound(`no such stack run: ${runId}`);
  const key = stackRunStreamKey(runId);
  const read = async (from: string) => (await s.redis.xrange(key, from === "0" ? "-" : `(${from}`, "+", "COUNT", 500)).map(([id, fields]) => ({ id, entry: JSON.parse(fields[1] ?? "{}") as StackRunEntry }));
  let rows = await read(after);
  // A short long-poll: the caller hears a line (or the end) within a few ms of the worker writing it.
  for (const until = Date.now() + waitMs; !rows.length && Date.now() < until; rows = await read(after)) {
    if (await s.redis.get(jobOutcomeKey(meta.queue, runId))) break;
    await new Promise((r) => setTimeout(r, PROGRESS_POLL_MS));
  }
  if (!rows.some((r) => r.entry.type === "end")) {
    const outcome = await s.redis.get(jobOutcomeKey(meta.queue, runId));
    const o = outcome ? (JSON.parse(outcome) as { ok?: boolean; kind?: string; message?: string }) : undefined;
    if (o && o.ok === false && o.message) {
      await writeStackRunEnd(s.redis, runId, { type: "end", ok: false, kind: o.kind ?? "Unavailable", message: o.message });
      rows = await read(after);
    }
  }
  const events: StackEvent[] = [];
  let end: RunProgress["end"];
  let cursor = after;
  for (const { id, entry } of rows) {
    cursor = id;
    if (entry.type === "event") events.push(entry.event);
    else if (entry.type === "end") end = entry.ok ? { ok: true } : { ok: false, kind: entry.kind, message: entry.message };
    else if (opts.ready) return { events, cursor, ready: entry };
  }
  return { events, cursor, ...(end ? { end } : {}) };
}

/** How often a waiting progress read looks at the run's stream (a Redis XRANGE on the shared connection, no blocking read). */
const PROGRESS_POLL_MS = 20;
/** How long one progress read waits for a new line before answering with none. */
export const PROGRESS_WAIT_MS = 2_000;

/** Follows a run to its end (for callers that want the whole answer at once: `up` without `follow`). */
export async function waitRun(s: Services, teamId: string, stackId: string, runId: string): Promise<{ events: StackEvent[]; error?: string }> {
  const events: StackEvent[] = [];
  let cursor = "0";
  for (;;) {
    const p = await runProgress(s, teamId, stackId, runId, cursor, PROGRESS_WAIT_MS);
    events.push(...p.events);
    cursor = p.cursor;
    if (p.end) return p.end.ok ? { events } : { events, error: p.end.message };
  }
}
