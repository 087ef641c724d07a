/**
 * Start-first replacement (Swarm's `update_config.order: start-first`), for branch previews and
 * environment releases: a changed replica's new container starts beside the old one under another
 * name, `ready` (web, through the run's stream: stack-converge.ts) is asked with the one to keep and
 * the ones it replaces (it checks health and moves traffic), and only then do the old ones go. When
 * `ready` fails, the new container goes and the old ones stay.
 */
import type { StackContainer, StackEvent } from "@berth/core";
import { LABEL, type ServiceRun } from "@berth/core/compose";
import type { Db, PrismaClient } from "@berth/core/db";
import type { StackHost, StackScope } from "./host.js";
import { moveNames, namesOf, withoutNames } from "./names.js";
import { startedOrThrow } from "./started.js";

/** Asks web to run `ready` for a start-first service; resolves with the old containers to retain (stopped), throws what web answered. */
export type ReadyHandOff = (service: string, keep: StackContainer[], replaced: StackContainer[]) => Promise<{ retain: string[] }>;

export interface StartFirst {
  /** Replaced one replica at a time. */
  one: string[];
  /** Every replica replaced at once: `ready` gets them all (one route switch for all). */
  all: string[];
  /**
   * A `one` service's new replica answers to its service's names only once `ready` passed: it
   * starts without them, the names then move to it from the old one (names.ts), and the old one
   * drains and stops before it goes. Peers reaching the service by name never meet a replica that
   * is not ready, nor one already stopping.
   */
  namesOnceReady: boolean;
  ready: ReadyHandOff;
}

interface Deps {
  db: PrismaClient;
  host: StackHost;
}

/**
 * With names moved only once ready: how long an old replica keeps serving after its names went
 * to the new one, for the requests of peers that looked the name up just before (they resolve per
 * connection and their requests are short); it then gets its stop signal and grace period.
 */
const NAMES_DRAIN_MS = 1_500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reuses `keep` (started again if it is not running) and says so. */
async function reuse(d: Deps, name: string, keep: StackContainer, emit: (e: StackEvent) => void): Promise<StackContainer> {
  if (keep.row.state === "running") {
    emit({ kind: "Container", name: keep.row.name, status: "Running", service: name });
    return keep;
  }
  await d.host.start(keep.row.id);
  const row = await startedOrThrow(d, keep.row.id, name);
  emit({ kind: "Container", name: keep.row.name, status: "Started", service: name });
  return { ...keep, row };
}

/** A new replica beside the old ones (another name than theirs: both run until traffic has moved), started; it goes again if it fails to start. */
async function startBeside(d: Deps, scope: StackScope, name: string, plan: ServiceRun, hash: string, replacing: boolean, emit: (e: StackEvent) => void): Promise<StackContainer> {
  const fresh = await d.host.create(scope, { ...plan, name: `${plan.name}-${hash.slice(0, 8)}` });
  emit({ kind: "Container", name: fresh.name, status: replacing ? "Recreated" : "Created", service: name });
  try {
    await d.host.startCreated(fresh.id);
    const row = await startedOrThrow(d, fresh.id, name);
    emit({ kind: "Container", name: fresh.name, status: "Started", service: name });
    return { row, service: name, number: Number(plan.options.labels?.[LABEL.number]), hash };
  } catch (err) {
    await d.host.remove(fresh).catch(() => {});
    throw err;
  }
}

/** One replica of a start-first service: reuse the matching container or start a new one beside the others, ask `ready`, then retire the rest. */
export async function replaceOne(d: Deps, scope: StackScope, name: string, plan: ServiceRun, hash: string, olds: StackContainer[], sf: StartFirst, emit: (e: StackEvent) => void): Promise<{ keep: StackContainer; made: boolean }> {
  const match = olds.find((c) => c.hash === hash && c.row.state === "running") ?? olds.find((c) => c.hash === hash);
  const keep = match ? await reuse(d, name, match, emit) : await startBeside(d, scope, name, sf.namesOnceReady ? withoutNames(plan) : plan, hash, olds.length > 0, emit);
  const replaced = olds.filter((c) => c.row.id !== keep.row.id);
  try {
    await sf.ready(name, [keep], replaced);
  } catch (err) {
    if (!match) await d.host.remove(keep.row).catch(() => {});
    throw err;
  }
  if (sf.namesOnceReady) {
    await moveNames(d, scope.teamId, keep, replaced, namesOf(plan));
    emit({ kind: "Container", name: keep.row.name, status: "Healthy", service: name });
    if (replaced.some((c) => c.row.state === "running")) await sleep(NAMES_DRAIN_MS);
    for (const c of replaced) {
      await d.host.stop(c.row);
      emit({ kind: "Container", name: c.row.name, status: "Stopped", service: name });
    }
  }
  for (const c of replaced) {
    await d.host.remove(c.row);
    emit({ kind: "Container", name: c.row.name, status: "Removed", service: name });
  }
  return { keep, made: !match };
}

/** Every replica of a start-first-all service: reuse the matching containers or start new ones beside the others, ask `ready`, then retire the old but those it retains. */
export async function replaceAll(d: Deps, scope: StackScope, name: string, plans: ServiceRun[], hash: string, olds: StackContainer[], sf: StartFirst, emit: (e: StackEvent) => void): Promise<{ keeps: StackContainer[]; made: boolean }> {
  const keeps: StackContainer[] = [];
  const made: Db.Container[] = [];
  try {
    for (const plan of plans) {
      const n = Number(plan.options.labels?.[LABEL.number]);
      const mine = olds.filter((c) => c.number === n && c.hash === hash);
      const match = mine.find((c) => c.row.state === "running") ?? mine[0];
      if (match) keeps.push(await reuse(d, name, match, emit));
      else {
        const fresh = await startBeside(d, scope, name, plan, hash, olds.length > 0, emit);
        made.push(fresh.row);
        keeps.push(fresh);
      }
    }
    const kept = new Set(keeps.map((c) => c.row.id));
    const replaced = olds.filter((c) => !kept.has(c.row.id));
    const retain = new Set((await sf.ready(name, keeps, replaced)).retain);
    for (const c of replaced) {
      if (retain.has(c.row.id)) continue;
      await d.host.remove(c.row);
      emit({ kind: "Container", name: c.row.name, status: "Removed", service: name });
    }
    return { keeps, made: made.length > 0 };
  } catch (err) {
    for (const row of made) await d.host.remove(row).catch(() => {});
    throw err;
  }
}
