/**
 * DUPLICATION (merge of main's previews into stacks-3, temporary): this is main's web-side
 * converge, kept ONLY for branch previews and environment releases (previews/deploy.ts,
 * releases/deploy.ts → stackUpStartFirst). `berth stack
 * up` and the dashboard converge in the worker (worker/src/stacks/converge.ts, job
 * stack.converge). Previews still need web here because their start-first replacement calls back
 * into web between "new container started" and "old container removed" (release command, HTTP
 * readiness, the edge's named-route switch), and the worker job has no such hand-off yet. The way
 * out: the job gains start-first (the worker starts the new container beside the old, asks web
 * through the run's stream to run `ready`, waits for its answer, then removes the old one), and
 * this file goes. Until then a change to converge semantics must be made in both places.
 */
import { FailedPrecondition, type StackEvent } from "@berth/core";
import { LABEL, configHash, runRequest, scopedName, startOrder, type ComposeProject, type ComposeService, type DependsOn } from "@berth/core/compose";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { runContainer, type RunRequest } from "../containers/run.js";
import { removeContainer, startContainer, stopContainer } from "../containers/lifecycle.js";
import { readHealth } from "../containers/health.js";
import { createVolume } from "../volumes/service.js";
import { stackContainers, type StackContainer } from "./containers.js";
import { ensureNetwork } from "./resources.js";
import { moveNames, namesOf, withoutNames } from "./names.js";
import { watchContainers, type ContainerChanges } from "../containers/changes.js";

export type { StackEvent };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * With names moved only once ready: how long an old replica keeps serving after its names went
 * to the new one, for the requests of peers that looked the name up just before (they resolve per
 * connection and their requests are short); it then gets its stop signal and grace period.
 */
const NAMES_DRAIN_MS = 1_500;

/** The longest a dependency may take to become healthy or to complete before `up` gives up on it. */
const DEPENDENCY_WAIT_MS = 5 * 60_000;

async function row(s: Services, id: string) {
  return s.db.container.findUnique({ where: { id }, select: { state: true, exitCode: true, error: true, name: true } });
}

/** How long a wait on a container's next event lasts before its state is read again anyway. */
const RECHECK_MS = 500;

/** Until the host has started it (or it failed to start): read again at each of its events. */
async function untilStarted(s: Services, id: string, service: string): Promise<void> {
  const changes = await watchContainers(s, [id]);
  try {
    for (;;) {
      const r = await row(s, id);
      if (!r) throw new FailedPrecondition(`service "${service}": its container was removed while starting`);
      if (r.state === "running" || (r.state === "exited" && !r.error)) return;
      if (r.state === "exited") throw new FailedPrecondition(`service "${service}": container ${r.name} failed to start: ${r.error}`);
      await changes.next(RECHECK_MS);
    }
  } finally {
    changes.close();
  }
}

/** Waits for `dep`'s containers to meet the condition; an error names the service that waits and the one it waits for. */
async function waitFor(s: Services, service: string, dep: string, cond: DependsOn, noCheck: boolean, containers: StackContainer[], emit: (e: StackEvent) => void): Promise<void> {
  if (cond.condition === "service_started") return;
  if (cond.condition === "service_healthy" && noCheck) throw new FailedPrecondition(`service "${service}" depends on "${dep}" being healthy, but "${dep}" has its healthcheck disabled: give it a healthcheck, or use condition: service_started`);
  const end = Date.now() + DEPENDENCY_WAIT_MS;
  for (const c of containers) {
    emit({ kind: "Container", name: c.row.name, status: "Waiting", service: dep });
    const changes = await watchContainers(s, [c.row.id]);
    try {
      await untilCondition(s, service, dep, cond, c, end, changes, emit);
    } finally {
      changes.close();
    }
  }
}

/** One container of `dep` until it meets the condition: its state and health read again at each of its events. */
async function untilCondition(s: Services, service: string, dep: string, cond: DependsOn, c: StackContainer, end: number, changes: ContainerChanges, emit: (e: StackEvent) => void): Promise<void> {
  for (;;) {
    const r = await row(s, c.row.id);
    const fail = (why: string) => new FailedPrecondition(`service "${service}" depends on "${dep}": dependency failed to start: container ${c.row.name} ${why}`);
    if (!r) throw fail("was removed");
    if (cond.condition === "service_completed_successfully") {
      if (r.state === "exited") {
        if (r.exitCode === 0) return;
        throw fail(`exited (${r.exitCode ?? "?"})${r.error ? `: ${r.error}` : ""}`);
      }
    } else {
      if (r.state === "exited") throw fail(`exited (${r.exitCode ?? "?"}) before it became healthy`);
      const h = (await readHealth(s.redis, [c.row.id])).get(c.row.id);
      if (h?.Status === "healthy") {
        emit({ kind: "Container", name: c.row.name, status: "Healthy", service: dep });
        return;
      }
      if (h?.Status === "unhealthy") throw fail(`is unhealthy${h.Log.at(-1)?.Output ? `: ${h.Log.at(-1)!.Output.trim()}` : ""}`);
    }
    if (Date.now() > end) throw fail(cond.condition === "service_healthy" ? "did not become healthy in time" : "did not complete in time");
    await changes.next(RECHECK_MS);
  }
}

async function recordService(s: Services, stackId: string, name: string, configHash: string, state: string, error: string | null) {
  await s.db.stackService.upsert({ where: { stackId_name: { stackId, name } }, create: { stackId, name, configHash, state, error }, update: { configHash, state, error } });
}

export interface UpRequest {
  stackId: string;
  project: ComposeProject;
  /** Only these services (and what they depend on); all when empty. */
  services: string[];
  /**
   * Services replaced start-first (Swarm's `update_config.order: start-first`): a changed
   * replica's new container starts beside the old one under another name, `ready` is called with
   * the one to keep and the ones it replaces (it checks health and moves traffic), and only then
   * do the old ones go. When `ready` throws, the new container goes and the old ones stay.
   */
  startFirst?: Record<string, StartFirst>;
  /**
   * Start-first replicas answer to their service's names only once `ready` passed: a new one
   * starts without them, then the names move to it from the old one (stacks/names.ts), and the
   * old one drains and stops before it goes. Peers reaching the service by name never meet a
   * replica that is not ready, nor one already stopping.
   */
  namesOnceReady?: boolean;
  /**
   * Services whose replicas are replaced all at once, start-first (environment releases): every
   * new replica starts beside the old ones, `ready` gets them all and the old ones (it checks
   * health and moves traffic to all new replicas in one switch), and then the old ones go, but
   * for those `ready` says to retain (kept stopped, to roll back to). When `ready` throws, the
   * new replicas go and the old ones stay.
   */
  startFirstAll?: Record<string, StartFirstAll>;
}

export type StartFirst = (keep: StackContainer, replaced: StackContainer[]) => Promise<void>;
export type StartFirstAll = (keep: StackContainer[], replaced: StackContainer[]) => Promise<{ retain?: string[] } | void>;

/** One replica of a start-first service: reuse the matching container or start a new one beside the others, ask `ready`, then retire the rest. */
async function replaceStartFirst(s: Services, actor: Actor, name: string, reqN: RunRequest & { name: string }, n: number, hash: string, olds: StackContainer[], ready: StartFirst, namesOnceReady: boolean, emit: (e: StackEvent) => void): Promise<StackContainer> {
  const teamId = actor.team.id;
  let keep = olds.find((c) => c.hash === hash && c.row.state === "running") ?? olds.find((c) => c.hash === hash);
  let made = false;
  if (keep && keep.row.state !== "running") {
    await startContainer(s, teamId, keep.row.id);
    await untilStarted(s, keep.row.id, name);
    emit({ kind: "Container", name: keep.row.name, status: "Started", service: name });
  } else if (keep) emit({ kind: "Container", name: keep.row.name, status: "Running", service: name });
  if (!keep) {
    // Another name than the old one's: both run until traffic has moved.
    const fresh = await runContainer(s, actor, { ...(namesOnceReady ? withoutNames(reqN) : reqN), name: `${reqN.name}-${hash.slice(0, 8)}` });
    made = true;
    emit({ kind: "Container", name: fresh.name, status: olds.length ? "Recreated" : "Created", service: name });
    try {
      await untilStarted(s, fresh.id, name);
    } catch (err) {
      await removeContainer(s, teamId, fresh.id, true).catch(() => {});
      throw err;
    }
    emit({ kind: "Container", name: fresh.name, status: "Started", service: name });
    keep = { row: await s.db.container.findUniqueOrThrow({ where: { id: fresh.id } }), service: name, number: n, hash };
  }
  const replaced = olds.filter((c) => c !== keep);
  try {
    await ready(keep, replaced);
  } catch (err) {
    if (made) await removeContainer(s, teamId, keep.row.id, true).catch(() => {});
    throw err;
  }
  if (namesOnceReady) {
    await moveNames(s, teamId, keep, replaced, namesOf(reqN));
    emit({ kind: "Container", name: keep.row.name, status: "Healthy", service: name });
    if (replaced.some((c) => c.row.state === "running")) await sleep(NAMES_DRAIN_MS);
    for (const c of replaced) {
      await stopContainer(s, teamId, c.row.id);
      emit({ kind: "Container", name: c.row.name, status: "Stopped", service: name });
    }
  }
  for (const c of replaced) {
    await removeContainer(s, teamId, c.row.id, true);
    emit({ kind: "Container", name: c.row.name, status: "Removed", service: name });
  }
  return keep;
}

/** Every replica of a start-first-all service: reuse the matching containers or start new ones beside the others, ask `ready`, then retire the old. */
async function replaceAllStartFirst(s: Services, actor: Actor, name: string, reqs: (RunRequest & { name: string })[], hash: string, olds: StackContainer[], ready: StartFirstAll, emit: (e: StackEvent) => void): Promise<StackContainer[]> {
  const teamId = actor.team.id;
  const keeps: StackContainer[] = [];
  const made: string[] = [];
  try {
    for (const reqN of reqs) {
      const n = Number(reqN.options?.labels?.[LABEL.number]);
      const mine = olds.filter((c) => c.number === n && c.hash === hash);
      let keep = mine.find((c) => c.row.state === "running") ?? mine[0];
      if (keep && keep.row.state !== "running") {
        await startContainer(s, teamId, keep.row.id);
        await untilStarted(s, keep.row.id, name);
        emit({ kind: "Container", name: keep.row.name, status: "Started", service: name });
      } else if (keep) emit({ kind: "Container", name: keep.row.name, status: "Running", service: name });
      if (!keep) {
        const fresh = await runContainer(s, actor, { ...reqN, name: `${reqN.name}-${hash.slice(0, 8)}` });
        made.push(fresh.id);
        emit({ kind: "Container", name: fresh.name, status: olds.length ? "Recreated" : "Created", service: name });
        await untilStarted(s, fresh.id, name);
        emit({ kind: "Container", name: fresh.name, status: "Started", service: name });
        keep = { row: await s.db.container.findUniqueOrThrow({ where: { id: fresh.id } }), service: name, number: n, hash };
      }
      keeps.push(keep);
    }
    const replaced = olds.filter((c) => !keeps.includes(c));
    const out = await ready(keeps, replaced);
    const retain = new Set(out?.retain ?? []);
    for (const c of replaced) {
      if (retain.has(c.row.id)) continue;
      await removeContainer(s, teamId, c.row.id, true);
      emit({ kind: "Container", name: c.row.name, status: "Removed", service: name });
    }
    return keeps;
  } catch (err) {
    for (const id of made) await removeContainer(s, teamId, id, true).catch(() => {});
    throw err;
  }
}

/**
 * Brings the stack to what its file says (previews only, see the top of this file): networks and volumes made, each service's containers
 * created or recreated when their config hash changed, started in dependency order with the
 * conditions honoured; services gone from the file are removed last (on a full `up` only). Safe to
 * run again: what already matches is left running.
 */
export async function converge(s: Services, actor: Actor, req: UpRequest, emit: (e: StackEvent) => void): Promise<void> {
  const { project } = req;
  const teamId = actor.team.id;
  const order = startOrder(project, req.services);
  // Every request is checked before anything changes: a build: or an undeclared volume fails here.
  const plans = new Map(order.map((name) => [name, Array.from({ length: project.services[name]!.replicas }, (_, i) => runRequest(project, project.services[name]!, i + 1))]));

  const nets = new Set<string>();
  for (const name of order) {
    const svc = project.services[name]!;
    if (svc.networkMode === "none") continue;
    for (const key of Object.keys(svc.networks).length ? Object.keys(svc.networks) : ["default"]) nets.add(key);
  }
  for (const key of [...nets].sort()) {
    const decl = project.networks[key];
    const name = scopedName(project.name, key, decl?.name);
    if (decl?.external) continue;
    if (await ensureNetwork(s, teamId, name, { ...(decl?.labels ?? {}), [LABEL.project]: project.name, [LABEL.network]: key })) emit({ kind: "Network", name, status: "Created" });
  }
  const vols = new Set(order.flatMap((n) => project.services[n]!.volumes.flatMap((m) => (m.type === "volume" && m.source ? [m.source] : []))));
  for (const key of [...vols].sort()) {
    const decl = project.volumes[key]!;
    if (decl.external) continue;
    const name = scopedName(project.name, key, decl.name);
    const had = await s.db.volume.findUnique({ where: { teamId_name: { teamId, name } }, select: { id: true } });
    if (!had) {
      await createVolume(s, teamId, name, { ...decl.labels, [LABEL.project]: project.name, [LABEL.volume]: key });
      emit({ kind: "Volume", name, status: "Created" });
    }
  }

  let existing = await stackContainers(s, teamId, project.name);
  // Services no longer in the file go (as `up --remove-orphans`), but only once the rest is up:
  // a release whose deploy fails leaves the live one whole, with the services it still needs.
  const orphans = req.services.length ? [] : existing.filter((c) => !project.services[c.service]);

  const started = new Map<string, StackContainer[]>();
  for (const name of order) {
    const svc: ComposeService = project.services[name]!;
    const hash = configHash(svc);
    try {
      for (const [dep, cond] of Object.entries(svc.dependsOn)) {
        if (!project.services[dep] && !cond.required) continue;
        await waitFor(s, name, dep, cond, project.services[dep]?.healthcheckDisabled ?? false, started.get(dep) ?? [], emit);
      }
      await recordService(s, req.stackId, name, hash, "converging", null);
      const mine = existing.filter((c) => c.service === name);
      const all = req.startFirstAll?.[name];
      if (all) {
        started.set(name, await replaceAllStartFirst(s, actor, name, plans.get(name)!, hash, mine, all, emit));
        await recordService(s, req.stackId, name, hash, "running", null);
        existing = existing.filter((c) => c.service !== name);
        continue;
      }
      // Replicas beyond the wanted count go first (highest numbers), as Compose scales down.
      for (const c of mine.filter((c) => c.number > svc.replicas)) {
        await removeContainer(s, teamId, c.row.id, true);
        emit({ kind: "Container", name: c.row.name, status: "Removed", service: name });
      }
      const now: StackContainer[] = [];
      for (const reqN of plans.get(name)!) {
        const n = Number(reqN.options?.labels?.[LABEL.number]);
        const ready = req.startFirst?.[name];
        if (ready) {
          now.push(await replaceStartFirst(s, actor, name, reqN, n, hash, mine.filter((c) => c.number === n), ready, req.namesOnceReady ?? false, emit));
          continue;
        }
        const old = mine.find((c) => c.number === n);
        if (old && old.hash === hash) {
          if (old.row.state === "running") emit({ kind: "Container", name: old.row.name, status: "Running", service: name });
          else {
            await startContainer(s, teamId, old.row.id);
            emit({ kind: "Container", name: old.row.name, status: "Started", service: name });
          }
          now.push(old);
          continue;
        }
        if (old) await removeContainer(s, teamId, old.row.id, true);
        const made = await runContainer(s, actor, reqN);
        emit({ kind: "Container", name: made.name, status: old ? "Recreated" : "Created", service: name });
        await untilStarted(s, made.id, name);
        emit({ kind: "Container", name: made.name, status: "Started", service: name });
        const r = await s.db.container.findUniqueOrThrow({ where: { id: made.id } });
        now.push({ row: r, service: name, number: n, hash });
      }
      started.set(name, now);
      await recordService(s, req.stackId, name, hash, "running", null);
    } catch (err) {
      emit({ kind: "Container", name: `${project.name}-${name}`, status: "Error", service: name, error: (err as Error).message });
      await recordService(s, req.stackId, name, hash, "failed", (err as Error).message).catch(() => {});
      throw err;
    }
    existing = existing.filter((c) => c.service !== name);
  }
  for (const c of orphans) {
    await removeContainer(s, teamId, c.row.id, true);
    await s.db.stackService.deleteMany({ where: { stackId: req.stackId, name: c.service } });
    emit({ kind: "Container", name: c.row.name, status: "Removed", service: c.service });
  }
}
