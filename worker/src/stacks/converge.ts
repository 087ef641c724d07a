import { FailedPrecondition, stackContainers, type StackContainer, type StackEvent } from "@berth/core";
import { LABEL, configHash, dependencyLevels, runRequest, scopedName, startOrder, type ComposeProject, type DependsOn, type ServiceRun } from "@berth/core/compose";
import type { Db, PrismaClient } from "@berth/core/db";
import type { StackHost, StackScope } from "./host.js";
import { replaceAll, replaceOne, type StartFirst } from "./start-first.js";
import { startedOrThrow } from "./started.js";

export type { ReadyHandOff, StartFirst } from "./start-first.js";

/** The longest a dependency may take to become healthy or to complete before `up` gives up on it. */
const DEPENDENCY_WAIT_MS = 5 * 60_000;
/**
 * How often a wait on a dependency reads its state and health when no event of the container
 * came (each event wakes it at once): a fallback, should an event be missed.
 */
const DEPENDENCY_POLL_MS = 500;

export interface ConvergeDeps {
  db: PrismaClient;
  host: StackHost;
}

export interface ConvergeRequest {
  stackId: string;
  project: ComposeProject;
  /** Only these services (and what they depend on); all when empty. */
  services: string[];
  scope: StackScope;
  /**
   * Services replaced start-first (previews, releases: start-first.ts). Such a converge also goes
   * one service at a time, in dependency order (each `ready` runs alone, so what it reports is
   * its own), and removes the services gone from the file only once the rest is up: a release
   * whose deploy fails leaves the live one whole, with the services it still needs.
   */
  startFirst?: StartFirst;
}

const row = (d: ConvergeDeps, id: string) => d.db.container.findUnique({ where: { id }, select: { state: true, exitCode: true, error: true, name: true } });

/** Waits for `dep`'s containers to meet the condition; an error names the service that waits and the one it waits for. */
async function waitFor(d: ConvergeDeps, service: string, dep: string, cond: DependsOn, noCheck: boolean, containers: StackContainer[], emit: (e: StackEvent) => void): Promise<void> {
  if (cond.condition === "service_started") return;
  if (cond.condition === "service_healthy" && noCheck) throw new FailedPrecondition(`service "${service}" depends on "${dep}" being healthy, but "${dep}" has its healthcheck disabled: give it a healthcheck, or use condition: service_started`);
  const end = Date.now() + DEPENDENCY_WAIT_MS;
  for (const c of containers) {
    emit({ kind: "Container", name: c.row.name, status: "Waiting", service: dep });
    for (;;) {
      // Listening before the reads: an event between a read and the wait is not missed.
      const changed = d.host.nextChange(c.row.id, DEPENDENCY_POLL_MS);
      const r = await row(d, c.row.id);
      const fail = (why: string) => new FailedPrecondition(`service "${service}" depends on "${dep}": dependency failed to start: container ${c.row.name} ${why}`);
      if (!r) throw fail("was removed");
      if (cond.condition === "service_completed_successfully") {
        if (r.state === "exited") {
          if (r.exitCode === 0) break;
          throw fail(`exited (${r.exitCode ?? "?"})${r.error ? `: ${r.error}` : ""}`);
        }
      } else {
        if (r.state === "exited") throw fail(`exited (${r.exitCode ?? "?"}) before it became healthy`);
        const h = await d.host.health(c.row.id);
        if (h?.Status === "healthy") {
          emit({ kind: "Container", name: c.row.name, status: "Healthy", service: dep });
          break;
        }
        if (h?.Status === "unhealthy") throw fail(`is unhealthy${h.Log.at(-1)?.Output ? `: ${h.Log.at(-1)!.Output.trim()}` : ""}`);
      }
      if (Date.now() > end) throw fail(cond.condition === "service_healthy" ? "did not become healthy in time" : "did not complete in time");
      // Woken by the container's next event (health_status, die): the dependant starts within a few ms of it.
      await changed;
    }
  }
}

async function recordService(d: ConvergeDeps, stackId: string, name: string, configHash: string, state: string, error: string | null) {
  await d.db.stackService.upsert({ where: { stackId_name: { stackId, name } }, create: { stackId, name, configHash, state, error }, update: { configHash, state, error } });
}

/**
 * Brings the stack to what its file says: networks and volumes made, each service's containers
 * created or recreated when their config hash changed, started in dependency order with the
 * conditions honoured; services gone from the file are removed (on a full `up` only). Safe to
 * run again, after any crash: what already matches is left running, a container left created or
 * exited by a dead run is started.
 */
export async function converge(d: ConvergeDeps, req: ConvergeRequest, emit: (e: StackEvent) => void): Promise<void> {
  const { project, scope } = req;
  const teamId = scope.teamId;
  const order = startOrder(project, req.services);
  const plans = new Map(order.map((name) => [name, Array.from({ length: project.services[name]!.replicas }, (_, i) => runRequest(project, project.services[name]!, i + 1))]));

  const nets = new Set<string>();
  for (const name of order) {
    const svc = project.services[name]!;
    if (svc.networkMode === "none") continue;
    for (const key of Object.keys(svc.networks).length ? Object.keys(svc.networks) : ["default"]) nets.add(key);
  }
  const networks = async () => {
    for (const key of [...nets].sort()) {
      const decl = project.networks[key];
      if (decl?.external) continue;
      const name = scopedName(project.name, key, decl?.name);
      if (await d.host.ensureNetwork(teamId, name, { ...(decl?.labels ?? {}), [LABEL.project]: project.name, [LABEL.network]: key })) emit({ kind: "Network", name, status: "Created" });
    }
  };
  const vols = new Set(order.flatMap((n) => project.services[n]!.volumes.flatMap((m) => (m.type === "volume" && m.source ? [m.source] : []))));
  const volumes = async () => {
    for (const key of [...vols].sort()) {
      const decl = project.volumes[key]!;
      if (decl.external) continue;
      const name = scopedName(project.name, key, decl.name);
      if (await d.host.ensureVolume(teamId, name, { ...decl.labels, [LABEL.project]: project.name, [LABEL.volume]: key })) emit({ kind: "Volume", name, status: "Created" });
    }
  };
  // Networks, volumes and what runs now are independent of each other: read and made at once.
  const [existing, recordedRows] = await Promise.all([
    stackContainers(d.db, teamId, project.name),
    d.db.stackService.findMany({ where: { stackId: req.stackId }, select: { name: true, configHash: true, state: true } }),
    networks(),
    volumes(),
  ]);
  const sf = req.startFirst;
  // Services no longer in the file go, as `up --remove-orphans` (start-first: once the rest is up).
  const removeOrphans = async () => {
    if (req.services.length) return;
    for (const c of existing.filter((c) => !project.services[c.service])) {
      await d.host.remove(c.row);
      await d.db.stackService.deleteMany({ where: { stackId: req.stackId, name: c.service } });
      emit({ kind: "Container", name: c.row.name, status: "Removed", service: c.service });
    }
  };
  if (!sf) await removeOrphans();

  const started = new Map<string, StackContainer[]>();
  // Services whose containers this run recreated: dependants with `restart: true` restart after them.
  const recreated = new Set<string>();
  const recorded = new Map(recordedRows.map((r) => [r.name, r]));

  /** Creates (does not start) the containers of these replicas: their rows by replica number. */
  const create = async (name: string, todo: ServiceRun[]) => {
    const out = new Map<number, Db.Container>();
    for (const plan of todo) {
      const row = await d.host.create(scope, plan);
      emit({ kind: "Container", name: row.name, status: "Created", service: name });
      out.set(replicaNumber(plan), row);
    }
    return out;
  };

  // A service converges once its dependencies have started (level by level, below).
  const one = async (name: string) => {
    const svc = project.services[name]!;
    const hash = configHash(svc);
    const mine = existing.filter((c) => c.service === name);
    const wanted = plans.get(name)!;
    const mode = sf?.all.includes(name) ? "all" : sf?.one.includes(name) ? "one" : undefined;
    // Replicas with no container yet are created before the wait on the dependencies' conditions
    // (Compose too creates before it waits): while a dependency becomes healthy, only the start is
    // left. Not a start-first service's: its new replicas take other names, beside the old ones.
    const todo = mode ? [] : wanted.filter((plan) => !mine.some((c) => c.number === replicaNumber(plan)));
    const creating = todo.length ? create(name, todo) : undefined;
    creating?.catch(() => {}); // awaited below; a failed wait must not leave it unheard
    let converging: Promise<void> | undefined;
    try {
      for (const [dep, cond] of Object.entries(svc.dependsOn)) {
        if (!project.services[dep] && !cond.required) continue;
        await waitFor(d, name, dep, cond, project.services[dep]?.healthcheckDisabled ?? false, started.get(dep) ?? [], emit);
      }
      if (mode) {
        // Always through `ready`, even when nothing changed: it moves traffic and records the release.
        await recordService(d, req.stackId, name, hash, "converging", null);
        if (mode === "all") {
          const { keeps, made } = await replaceAll(d, scope, name, wanted, hash, mine, sf!, emit);
          started.set(name, keeps);
          if (made) recreated.add(name);
        } else {
          // Replicas beyond the wanted count go first (highest numbers), as Compose scales down.
          for (const c of mine.filter((c) => c.number > svc.replicas)) {
            await d.host.remove(c.row);
            emit({ kind: "Container", name: c.row.name, status: "Removed", service: name });
          }
          const now: StackContainer[] = [];
          for (const plan of wanted) {
            const { keep, made } = await replaceOne(d, scope, name, plan, hash, mine.filter((c) => c.number === replicaNumber(plan)), sf!, emit);
            now.push(keep);
            if (made) recreated.add(name);
          }
          started.set(name, now);
        }
        await recordService(d, req.stackId, name, hash, "running", null);
        return;
      }
      const restartFor = Object.entries(svc.dependsOn).find(([dep, cond]) => cond.restart && recreated.has(dep))?.[0];
      // The common `up` again: every container there, unchanged and running. Nothing to write.
      if (!restartFor && !todo.length && mine.length === wanted.length && mine.every((c) => c.hash === hash && c.row.state === "running")) {
        for (const c of mine) emit({ kind: "Container", name: c.row.name, status: "Running", service: name });
        started.set(name, mine);
        const r = recorded.get(name);
        if (r?.state !== "running" || r.configHash !== hash) await recordService(d, req.stackId, name, hash, "running", null);
        return;
      }
      // Written beside the starts, not before them (a write is not worth a start's delay); the service's last state is written after it.
      converging = recordService(d, req.stackId, name, hash, "converging", null);
      converging.catch(() => {});
      // Replicas beyond the wanted count go first (highest numbers), as Compose scales down.
      for (const c of mine.filter((c) => c.number > svc.replicas)) {
        await d.host.remove(c.row);
        emit({ kind: "Container", name: c.row.name, status: "Removed", service: name });
      }
      const now: StackContainer[] = [];
      for (const plan of wanted) {
        const n = replicaNumber(plan);
        const old = mine.find((c) => c.number === n);
        if (old && old.hash === hash) {
          if (old.row.state === "running" && restartFor) {
            // depends_on: {restart: true}: a dependency recreated restarts this one (stopped with its grace period).
            await d.host.stop(old.row);
            await d.host.start(old.row.id);
            await startedOrThrow(d, old.row.id, name);
            emit({ kind: "Container", name: old.row.name, status: "Restarted", service: name });
          } else if (old.row.state === "running") emit({ kind: "Container", name: old.row.name, status: "Running", service: name });
          else {
            await d.host.start(old.row.id);
            await startedOrThrow(d, old.row.id, name);
            emit({ kind: "Container", name: old.row.name, status: "Started", service: name });
          }
          now.push(old);
          continue;
        }
        let made: Db.Container;
        if (old) {
          await d.host.stop(old.row);
          await d.host.remove(old.row);
          recreated.add(name);
          made = await d.host.create(scope, plan);
          emit({ kind: "Container", name: made.name, status: "Recreated", service: name });
        } else made = (await creating!).get(n)!;
        await d.host.startCreated(made.id);
        const r = await startedOrThrow(d, made.id, name);
        emit({ kind: "Container", name: made.name, status: "Started", service: name });
        now.push({ row: r, service: name, number: n, hash });
      }
      started.set(name, now);
      await converging;
      await recordService(d, req.stackId, name, hash, "running", null);
    } catch (err) {
      // No create of this run may outlast it: the stack's next converge starts once it ends.
      await Promise.all([creating?.catch(() => {}), converging?.catch(() => {})]);
      emit({ kind: "Container", name: `${project.name}-${name}`, status: "Error", service: name, error: (err as Error).message });
      await recordService(d, req.stackId, name, hash, "failed", (err as Error).message).catch(() => {});
      throw err;
    }
  };

  // Services that do not depend on each other converge at once, level by level (Compose starts them in parallel too).
  for (const level of dependencyLevels(project, order)) {
    if (sf) {
      for (const name of level) await one(name);
      continue;
    }
    const results = await Promise.allSettled(level.map(one));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }
  if (sf) await removeOrphans();
}

/** A replica's number (1, 2…), from the label its plan carries. */
const replicaNumber = (plan: ServiceRun) => Number(plan.options.labels?.[LABEL.number]);
