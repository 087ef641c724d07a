import { keyedQueue, publishEvent } from "@berth/core";
import type { Services } from "../services.js";
import { recordAudit } from "../audit/index.js";

/** Who and what a deploy reports about: events and audit entries name these. */
export interface DeployReport {
  teamId: string;
  teamName: string;
  project: string;
  env: string;
  number: number;
  actor: { id: string | null; name: string };
}

/** An event on the events stream (the team's members see it) and, for what changed state, an audit entry. */
export async function report(s: Services, r: DeployReport, type: "release.deploy" | "release.rollback", attributes: Record<string, string>, audit?: { result: string; detail: string }): Promise<void> {
  await publishEvent(s.redis, { type, id: `${r.project}/${r.env}/v${r.number}`, teamId: r.teamId, attributes: { name: r.project, env: r.env, number: String(r.number), ...attributes } }, (err) =>
    s.log.warn({ err: err.message, project: r.project, env: r.env }, `could not publish ${type}`),
  );
  if (audit) {
    await recordAudit(s.db, s.log, { actorId: r.actor.id, actorName: r.actor.name, teamId: r.teamId, teamName: r.teamName, action: type, target: `${r.project} ${r.env} v${r.number}`, result: audit.result, detail: audit.detail }, { address: "", client: "berth-deploy" });
  }
}

/** The release serves now: it is live, the one that served before is superseded, the environment points at it. */
export async function markLive(s: Services, environmentId: string, releaseId: string, number: number): Promise<number | null> {
  return s.db.$transaction(async (tx) => {
    const env = await tx.environment.findUniqueOrThrow({ where: { id: environmentId }, select: { liveRelease: true } });
    await tx.release.updateMany({ where: { environmentId, state: "live", id: { not: releaseId } }, data: { state: "superseded" } });
    await tx.release.update({ where: { id: releaseId }, data: { state: "live", deployedAt: new Date(), error: null } });
    await tx.environment.update({ where: { id: environmentId }, data: { liveRelease: number } });
    return env.liveRelease !== number ? env.liveRelease : null;
  });
}

/** The deploy stopped before traffic moved: the release failed, saying why; nothing else changes. */
export async function markFailed(s: Services, releaseId: string, error: string): Promise<void> {
  await s.db.release.update({ where: { id: releaseId }, data: { state: "failed", error: error.slice(0, 4000) } });
}

/** The watch window rolled `releaseId` back to `to`: it is rolled-back (with the reason), `to` is live again. */
export async function markRolledBack(s: Services, environmentId: string, releaseId: string, to: { id: string; number: number }, reason: string): Promise<void> {
  await s.db.$transaction(async (tx) => {
    await tx.release.update({ where: { id: releaseId }, data: { state: "rolled-back", error: reason.slice(0, 4000) } });
    await tx.release.update({ where: { id: to.id }, data: { state: "live" } });
    await tx.environment.update({ where: { id: environmentId }, data: { liveRelease: to.number } });
  });
}

/** One deploy, rollback or end of a watch window per environment at a time in this process. */
export const perEnvironment = keyedQueue();
