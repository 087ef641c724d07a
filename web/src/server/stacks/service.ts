import { randomUUID } from "node:crypto";
import { FailedPrecondition, keyedQueue, NotFound } from "@berth/core";
import { ComposeProject } from "@berth/core/compose";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { readHealth } from "../containers/health.js";
import { teardown, type StackEvent } from "./teardown.js";
import { stackContainers, type StackContainer } from "./containers.js";
import { freezeStack, thawStack } from "./freeze.js";
import { PROGRESS_WAIT_MS, admitUp, enqueueConverge, runProgress, waitRun, type RunProgress } from "./run.js";
import { followStartFirst, type ReadyHooks } from "./ready.js";

/** Docker's words for a stack that is not there (another team's answers the same). */
export const noSuchStack = (name: string) => `no such stack: ${name} (run \`berth stack ls\` to see your team's stacks)`;

async function stackRow(s: Services, teamId: string, name: string) {
  const row = await s.db.stack.findUnique({ where: { teamId_name: { teamId, name } } });
  if (!row) throw new NotFound(noSuchStack(name));
  return row;
}

const projectOf = (row: { project: string }) => ComposeProject.parse(JSON.parse(row.project));

/** One `down` per stack at a time in this process: a second waits for the first. */
const serialised = keyedQueue();

export interface UpResult {
  /** The converge's id: `stack.progress` follows it. */
  runId: string;
  events: StackEvent[];
  /** Why the converge stopped; the events say how far it got. */
  error?: string;
}

/** Records the file as the stack's desired state (the row `stack.converge` reads). */
async function recordDesired(s: Services, actor: Actor, project: ComposeProject) {
  const teamId = actor.team.id;
  const data = { project: JSON.stringify(project), workingDir: project.workingDir, updatedById: actor.userId };
  return s.db.stack.upsert({
    where: { teamId_name: { teamId, name: project.name } },
    create: { id: randomUUID(), teamId, name: project.name, createdById: actor.userId, ...data },
    update: data,
  });
}

/**
 * `stack up`: admits the file (every container as `berth run` would check it), records it as the
 * stack's desired state, and enqueues the converge on the stack's host. With `follow` it returns
 * at once (the caller reads `stack.progress`); otherwise once the converge ended.
 */
export async function stackUp(s: Services, actor: Actor, project: ComposeProject, services: string[], follow = false): Promise<UpResult> {
  const teamId = actor.team.id;
  // A file Berth cannot run (a cycle, an undeclared volume, a host path not granted) is refused before it is recorded.
  const { grants } = await admitUp(s, actor, project, services);
  const row = await recordDesired(s, actor, project);
  // `up` is activity (the idle clock starts again), and a frozen stack thaws first: the converge must find its containers running.
  await thawStack(s, row);
  const runId = await enqueueConverge(s, actor, row.id, row.name, services, grants);
  if (follow) return { runId, events: [] };
  const r = await waitRun(s, teamId, row.id, runId);
  if (r.error) s.log.warn({ stack: project.name, team: actor.team.name, err: r.error }, "stack converge failed");
  return { runId, ...r };
}

/** The progress lines of a stack's converge after `cursor`, and its end once it ended. */
export async function stackProgress(s: Services, teamId: string, name: string, runId: string, cursor?: string): Promise<RunProgress> {
  const row = await stackRow(s, teamId, name);
  return runProgress(s, teamId, row.id, runId, cursor, PROGRESS_WAIT_MS);
}

/**
 * `up` with start-first replacement, for branch previews and environment releases: admitted,
 * recorded and converged by the worker's stack.converge job as `stack up` is, but the services with
 * a hook are replaced start-first, and each hook (release, HTTP readiness, route switch) runs here
 * in web when the worker asks (stacks/ready.ts), between the new container's start and the old
 * one's removal. Resolves once the converge ended.
 */
export async function stackUpStartFirst(s: Services, actor: Actor, project: ComposeProject, opts: ReadyHooks & { namesOnceReady?: boolean; onEvent?: (e: StackEvent) => void }): Promise<UpResult> {
  const { grants } = await admitUp(s, actor, project, []);
  const row = await recordDesired(s, actor, project);
  await thawStack(s, row);
  const startFirst = { one: Object.keys(opts.startFirst ?? {}), all: Object.keys(opts.startFirstAll ?? {}), namesOnceReady: opts.namesOnceReady ?? false };
  const runId = await enqueueConverge(s, actor, row.id, row.name, [], grants, startFirst);
  const events: StackEvent[] = [];
  const r = await followStartFirst(s, actor.team.id, row, runId, opts, (e) => {
    events.push(e);
    opts.onEvent?.(e);
  });
  if (r.error) s.log.warn({ stack: project.name, team: actor.team.name, err: r.error }, "stack converge (start-first) failed");
  return { runId, events, ...r };
}

/** `stack down [-v]`: everything the stack runs goes; its record stays (for `ls`, `up` again, `rm`). */
export async function stackDown(s: Services, teamId: string, name: string, volumes: boolean): Promise<StackEvent[]> {
  const row = await stackRow(s, teamId, name);
  const events: StackEvent[] = [];
  await serialised(row.id, async () => {
    // Thawed first (and marked active): each container then gets its stop signal and grace period, not a kill while frozen.
    await thawStack(s, row);
    await teardown(s, teamId, projectOf(row), volumes, (e) => events.push(e));
    await s.db.stackService.deleteMany({ where: { stackId: row.id } });
  });
  return events;
}

/** `stack freeze`: freezes the stack's running containers now (the idle freeze, at once). */
export async function stackFreeze(s: Services, teamId: string, name: string): Promise<{ frozen: number }> {
  return freezeStack(s, await stackRow(s, teamId, name));
}

/** `stack thaw`: thaws a frozen stack now; its idle clock starts again. */
export async function stackThaw(s: Services, teamId: string, name: string): Promise<{ thawed: boolean }> {
  const row = await stackRow(s, teamId, name);
  await thawStack(s, row);
  return { thawed: row.frozenAt !== null };
}

/** `stack rm`: forgets the stack; refused while it has containers unless forced (then it is taken down first). */
export async function stackRemove(s: Services, teamId: string, name: string, force: boolean, volumes: boolean): Promise<StackEvent[]> {
  const row = await stackRow(s, teamId, name);
  const left = await stackContainers(s, teamId, name);
  if (left.length && !force) throw new FailedPrecondition(`stack ${name} still has ${left.length} container(s): run \`berth stack down -p ${name}\` first, or rm -f`);
  const events = left.length || volumes ? await stackDown(s, teamId, name, volumes) : [];
  await s.db.stack.delete({ where: { id: row.id } });
  return events;
}

export interface StackPsRow {
  id: string;
  name: string;
  service: string;
  number: number;
  image: string;
  command: string[];
  state: string;
  exitCode: number | null;
  health?: string;
  createdAt: string;
  ports: { hostIp?: string; hostPort: number; containerPort: number; protocol: string }[];
}

/** `stack ps`: the stack's containers with their state and health. */
export async function stackPs(s: Services, teamId: string, name: string): Promise<StackPsRow[]> {
  const row = await stackRow(s, teamId, name);
  const cs = await stackContainers(s, teamId, name);
  const state = await shownStates(s, row, cs);
  const health = await readHealth(s.redis, cs.filter((c) => c.row.state === "running").map((c) => c.row.id));
  return cs.map((c) => {
    const opts = JSON.parse(c.row.options || "{}") as { publish?: StackPsRow["ports"] };
    const h = health.get(c.row.id)?.Status;
    return {
      id: c.row.id,
      name: c.row.name,
      service: c.service,
      number: c.number,
      image: c.row.imageRef,
      command: JSON.parse(c.row.cmd) as string[],
      state: state(c),
      exitCode: c.row.exitCode,
      ...(h ? { health: h } : {}),
      createdAt: c.row.createdAt.toISOString(),
      ports: opts.publish ?? [],
    };
  });
}

/**
 * A container's state as `stack ps` and `ls` show it: a running container of a frozen stack is
 * "frozen" (idle freeze), one its user paused is "paused" (as `docker compose ps`).
 */
async function shownStates(s: Services, stack: { frozenAt: Date | null }, cs: StackContainer[]): Promise<(c: StackContainer) => string> {
  const running = cs.filter((c) => c.row.state === "running").map((c) => c.row.id);
  const paused = new Set(running.length ? (await s.db.containerRuntime.findMany({ where: { containerId: { in: running }, paused: true }, select: { containerId: true } })).map((r) => r.containerId) : []);
  return (c) => (c.row.state === "running" && paused.has(c.row.id) ? (stack.frozenAt ? "frozen" : "paused") : c.row.state);
}

/** `stack ls`: the team's stacks, with how many of their containers run (Compose's "running(3)"). */
export async function stackList(s: Services, teamId: string): Promise<StackListRow[]> {
  const rows = await s.db.stack.findMany({ where: { teamId }, orderBy: { name: "asc" } });
  const byIds = [...new Set(rows.map((r) => r.updatedById).filter((id): id is string => !!id))];
  const users = byIds.length ? await s.db.user.findMany({ where: { id: { in: byIds } }, select: { id: true, name: true } }) : [];
  const nameOf = new Map(users.map((u) => [u.id, u.name]));
  const out: StackListRow[] = [];
  for (const r of rows) {
    const cs = await stackContainers(s, teamId, r.name);
    const state = await shownStates(s, r, cs);
    const counts = new Map<string, number>();
    for (const c of cs) counts.set(state(c), (counts.get(state(c)) ?? 0) + 1);
    const status = counts.size ? [...counts].map(([st, n]) => `${st}(${n})`).join(", ") : "down";
    out.push({
      name: r.name,
      status,
      running: counts.get("running") ?? 0,
      total: cs.length,
      workingDir: r.workingDir,
      updatedAt: r.updatedAt.toISOString(),
      updatedBy: r.updatedById ? (nameOf.get(r.updatedById) ?? null) : null,
    });
  }
  return out;
}

export interface StackListRow {
  name: string;
  /** Compose's "running(2), exited(1)", or "down". */
  status: string;
  running: number;
  total: number;
  workingDir: string;
  updatedAt: string;
  /** Who last brought it up (null: unknown, or the user is gone). */
  updatedBy: string | null;
}

/** The stored file of a stack, for `config -p NAME` without the file and the dashboard. */
export async function stackProject(s: Services, teamId: string, name: string): Promise<ComposeProject> {
  return projectOf(await stackRow(s, teamId, name));
}
