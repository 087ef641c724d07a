/**
 * The rollback a failure in the watch window triggers by itself (watch-run.ts decides it). It
 * redeploys the release that served before, start-first as any deploy but with no release
 * command: its stopped replicas start again (or new ones, if the environment's replicas or limits
 * changed since), must be healthy, and take the route back; this release's replicas drain and go,
 * it is marked rolled-back with the reason, and events and the audit log say so. Safe to run
 * again after a crash of web half-way (the watch job resumes it): converge is idempotent, and a
 * release already marked rolled-back is only reported.
 */
import { FailedPrecondition } from "@berth/core";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { loadSecretKey } from "../secrets/index.js";
import type { StartFirstAll } from "../stacks/ready.js";
import { releaseUp } from "./deploy-converge.js";
import { openReleaseConfig } from "./deploy-config.js";
import { releaseProject } from "./deploy-project.js";
import { markRolledBack, report, type DeployReport } from "./deploy-state.js";
import { environmentRoute, moveTraffic } from "./deploy-switch.js";
import type { WatchOutcome } from "./watch.js";

/** The release being rolled back and where it runs. */
export interface RollbackFrom {
  report: DeployReport;
  releaseId: string;
  environmentId: string;
  names: { stack: string; route: string; url: string };
  actor: Actor;
  home: string;
}

/** Who the audit log and events name for a rollback nobody asked for. */
const WATCH_ACTOR = { id: null, name: "berth (watch window)" };

/** Rolls `w` back to release `to` (the caller holds the environment's lock); "rolled-back", or "unhealthy" when that failed too. */
export async function rollBack(s: Services, w: RollbackFrom, to: number, reason: string, log: (line: string) => void, resumed = false): Promise<WatchOutcome> {
  const r: DeployReport = { ...w.report, actor: WATCH_ACTOR };
  if (!resumed) await report(s, r, "release.rollback", { state: "started", to: String(to), reason: reason.slice(0, 500), by: "watch" });
  let switched = false;
  let failure: unknown;
  try {
    // A resumed rollback whose switch was done before web stopped: only the report is left.
    const now = await s.db.release.findUnique({ where: { id: w.releaseId }, select: { state: true } });
    if (now?.state === "rolled-back") return await rolledBack(s, r, to, reason, log);
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
    const up = await releaseUp(s, w.actor, { home: w.home, project: back.project, web: { service: back.web.service, ready }, say: log, onEvent: (e) => log(` ${e.kind} ${e.name}  ${e.status}${e.error ? `: ${e.error}` : ""}`) });
    if (up.error && !switched) throw failure ?? new FailedPrecondition(up.error);
  } catch (err) {
    const msg = `rolling back to v${to} failed: ${(err as Error).message}; v${r.number} keeps serving`;
    log(msg);
    await s.db.release.update({ where: { id: w.releaseId }, data: { error: `${reason}; ${msg}`.slice(0, 4000) } });
    await report(s, r, "release.rollback", { state: "failed", to: String(to), reason: reason.slice(0, 500), error: (err as Error).message.slice(0, 500) }, { result: "failed", detail: `${reason}; ${msg}` });
    return "unhealthy";
  }
  return rolledBack(s, r, to, reason, log);
}

async function rolledBack(s: Services, r: DeployReport, to: number, reason: string, log: (line: string) => void): Promise<WatchOutcome> {
  log(`rolled back to v${to}: ${reason}`);
  await report(s, r, "release.rollback", { state: "rolled-back", to: String(to), reason: reason.slice(0, 500) }, { result: "ok", detail: `v${r.number} rolled back to v${to} by itself: ${reason}` });
  return "rolled-back";
}
