/**
 * After a release takes traffic: its watch window, and the rollback a failure there triggers by
 * itself. The rollback redeploys the release that served before, start-first as any deploy but
 * with no release command: its stopped replicas start again (or new ones, if the environment's
 * replicas or limits changed since), must be healthy, and take the route back; this release's
 * replicas drain and go, it is marked rolled-back with the reason, and events and the audit log
 * say so. When the window passes, the stopped replicas of the release before go.
 */
import { FailedPrecondition } from "@berth/core";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { loadSecretKey } from "../secrets/index.js";
import { removeContainer } from "../containers/lifecycle.js";
import { stackUpStartFirst } from "../stacks/service.js";
import type { StartFirstAll } from "../stacks/converge.js";
import { openReleaseConfig } from "./deploy-config.js";
import { releaseProject, type DeployPlan } from "./deploy-project.js";
import { markRolledBack, perEnvironment, report, type DeployReport } from "./deploy-state.js";
import { environmentRoute, moveTraffic } from "./deploy-switch.js";
import type { Replica } from "./health.js";
import { startWatch, watchHealth, type WatchOutcome } from "./watch.js";

export interface AfterDeploy {
  report: DeployReport;
  releaseId: string;
  environmentId: string;
  seconds: number;
  plan: DeployPlan;
  names: { stack: string; route: string; url: string };
  sha: string | null;
  /** The number of the release that served before (null: none, nothing to roll back to). */
  previous: number | null;
  /** The new web replicas to watch. */
  replicas: Replica[];
  /** The replicas of the release before, stopped: removed when the window passes. */
  retained: string[];
  actor: Actor;
  home: string;
}

/** Starts the environment's watch window for the release just deployed; settles with how it ended (never rejects). */
export function watchAfterDeploy(s: Services, w: AfterDeploy): Promise<WatchOutcome> {
  const r = w.report;
  const log = (line: string) => s.log.info({ project: r.project, env: r.env, release: r.number }, line);
  return startWatch(s, w.environmentId, async (signal) => {
    const failed = w.seconds > 0 ? await watchHealth(s, w.home, w.replicas, w.plan.health, w.seconds * 1000, signal) : null;
    if (!failed) {
      // Cancelled by a new deploy: that deploy replaces (and removes) the stopped replicas itself.
      if (signal.aborted) return "cancelled";
      await perEnvironment(w.environmentId, async () => {
        for (const id of w.retained) await removeContainer(s, r.teamId, id, true).catch((err: unknown) => s.log.warn({ err: (err as Error).message, id }, "could not remove a replica of the release before"));
      });
      await report(s, r, "release.deploy", { state: "stable" });
      return "stable";
    }
    const reason = `health failed within ${w.seconds}s of the switch: ${failed.replica.name}: ${failed.why}`;
    log(`v${r.number}: ${reason}`);
    if (w.previous === null) {
      await s.db.release.update({ where: { id: w.releaseId }, data: { error: `${reason} (no release before to roll back to)` } });
      await report(s, r, "release.deploy", { state: "unhealthy", error: reason.slice(0, 500) }, { result: "unhealthy", detail: `${reason}; no release before to roll back to: v${r.number} keeps serving` });
      return "unhealthy";
    }
    const to = w.previous;
    return perEnvironment(w.environmentId, () => rollBack(s, w, to, reason, log));
  });
}

/** Who the audit log and events name for a rollback nobody asked for. */
const WATCH_ACTOR = { id: null, name: "berth (watch window)" };

async function rollBack(s: Services, w: AfterDeploy, to: number, reason: string, log: (line: string) => void): Promise<WatchOutcome> {
  const r: DeployReport = { ...w.report, actor: WATCH_ACTOR };
  await report(s, r, "release.rollback", { state: "started", to: String(to), reason: reason.slice(0, 500), by: "watch" });
  let switched = false;
  let failure: unknown;
  try {
    const prev = await s.db.release.findUnique({ where: { environmentId_number: { environmentId: w.environmentId, number: to } } });
    if (!prev) throw new FailedPrecondition(`release v${to} is gone`);
    const env = await s.db.environment.findUniqueOrThrow({ where: { id: w.environmentId } });
    const cfg = openReleaseConfig(await loadSecretKey(w.home), env.id, prev.config, `release v${to} of ${env.name}`);
    const back = releaseProject(prev, env, w.names.stack, r.project, cfg);
    const ready: StartFirstAll = async (keep, replaced) => {
      try {
        await moveTraffic(s, {
          home: w.home,
          teamId: r.teamId,
          routeName: w.names.route,
          route: await environmentRoute(s, r.teamId, w.names.stack, back.web, { project: r.project, env: r.env, release: String(to), ...(prev.sha ? { sha: prev.sha } : {}) }),
          web: back.web,
          health: back.health,
          keep,
          replaced,
          say: log,
          at: () => {},
          // Drained, they go at once: converge removes them (they are not retained).
          stopOld: false,
          afterSwitch: async () => {
            switched = true;
            await markRolledBack(s, w.environmentId, w.releaseId, { id: prev.id, number: to }, reason);
          },
        });
        // This release's replicas go (they are not retained).
        return {};
      } catch (err) {
        failure = err;
        throw err;
      }
    };
    const up = await stackUpStartFirst(s, w.actor, back.project, { startFirstAll: { [back.web.service]: ready }, onEvent: (e) => log(` ${e.kind} ${e.name}  ${e.status}${e.error ? `: ${e.error}` : ""}`) });
    if (up.error && !switched) throw failure ?? new FailedPrecondition(up.error);
  } catch (err) {
    const msg = `rolling back to v${to} failed: ${(err as Error).message}; v${r.number} keeps serving`;
    log(msg);
    await s.db.release.update({ where: { id: w.releaseId }, data: { error: `${reason}; ${msg}`.slice(0, 4000) } });
    await report(s, r, "release.rollback", { state: "failed", to: String(to), reason: reason.slice(0, 500), error: (err as Error).message.slice(0, 500) }, { result: "failed", detail: `${reason}; ${msg}` });
    return "unhealthy";
  }
  log(`rolled back to v${to}: ${reason}`);
  await report(s, r, "release.rollback", { state: "rolled-back", to: String(to), reason: reason.slice(0, 500) }, { result: "ok", detail: `v${r.number} rolled back to v${to} by itself: ${reason}` });
  return "rolled-back";
}
