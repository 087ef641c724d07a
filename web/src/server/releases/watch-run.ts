/**
 * One release's watch window, from its job (watch-queue.ts): everything else is read again from
 * the database, so any web can run it, and run it again after a crash. It decides once per
 * release (SET NX on the outcome key): "stable" (the window passed: the stopped replicas of the
 * release before go), "cancelled" (a new deploy of the environment came first), "unhealthy" (a
 * failure with no release before to go back to), or a rollback, recorded as under way before it
 * starts so that a web that dies half-way leaves the next one to finish it, never to decide again.
 */
import { config, isFailedPrecondition, isNotFound, RELEASE_WATCH_KEY_TTL_SECONDS, ReleaseWatchJob, releaseWatchOutcomeKey } from "@berth/core";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { loadSecretKey } from "../secrets/index.js";
import { removeContainer } from "../containers/lifecycle.js";
import { environmentNames } from "../environments/find.js";
import { openReleaseConfig } from "./deploy-config.js";
import { releaseProject } from "./deploy-project.js";
import { perEnvironment, report, type DeployReport } from "./deploy-state.js";
import { rollBack, type RollbackFrom } from "./deploy-rollback.js";
import { watchHealth, type WatchOutcome } from "./watch.js";
import { readDecision, watchCancelled, type WatchDecision } from "./watch-queue.js";

/** Records `d` unless a decision is there already; returns the one in force. */
async function decide(s: Services, releaseId: string, d: WatchDecision): Promise<WatchDecision> {
  const ok = await s.redis.set(releaseWatchOutcomeKey(releaseId), JSON.stringify(d), "EX", RELEASE_WATCH_KEY_TTL_SECONDS, "NX");
  if (ok === "OK") return d;
  return (await readDecision(s, releaseId)) ?? d;
}

/** The rollback's final outcome replaces its "under way". */
async function settle(s: Services, releaseId: string, outcome: WatchOutcome, reason: string): Promise<WatchOutcome> {
  await s.redis.set(releaseWatchOutcomeKey(releaseId), JSON.stringify({ state: outcome, reason }), "EX", RELEASE_WATCH_KEY_TTL_SECONDS);
  return outcome;
}

/**
 * A stopped replica of the release before goes once the window passed, unless it runs again: a
 * deploy on another web (the lock is per process) may have reused it, and then it serves.
 */
async function removeRetained(s: Services, teamId: string, id: string): Promise<void> {
  try {
    await removeContainer(s, teamId, id, false);
  } catch (err) {
    if (isNotFound(err)) return;
    if (isFailedPrecondition(err)) return void s.log.info({ id, why: (err as Error).message }, "a replica of the release before runs again (a later release reuses it): kept");
    s.log.warn({ err: (err as Error).message, id }, "could not remove a replica of the release before");
  }
}

/** Runs (or resumes) the watch `payload` describes; `signal` ends it early as cancelled. */
export async function runWatch(s: Services, payload: unknown, signal: AbortSignal): Promise<WatchOutcome> {
  const job = ReleaseWatchJob.parse(payload);
  const rel = await s.db.release.findUnique({ where: { id: job.releaseId }, include: { environment: { include: { project: { include: { team: true } } } } } });
  if (!rel) return (await decide(s, job.releaseId, { state: "cancelled", reason: "the release is gone" })).state as WatchOutcome;
  const env = rel.environment;
  const project = env.project;
  const team = project.team;
  const home = config().home;
  const names = environmentNames(team.name, project.name, env.name);
  const r: DeployReport = { teamId: team.id, teamName: team.name, project: project.name, env: env.name, number: rel.number, actor: { id: job.by.userId || null, name: job.by.userName } };
  // The rollback acts in the project's team with a member's rights, as the deploy did.
  const actor: Actor = { userId: job.by.userId, userName: job.by.userName, siteAdmin: false, readOnly: false, team: { id: team.id, name: team.name, personal: team.personal }, role: "member" };
  const from: RollbackFrom = { report: r, releaseId: rel.id, environmentId: env.id, names, actor, home };
  const log = (line: string) => s.log.info({ project: project.name, env: env.name, release: rel.number }, line);

  const earlier = await readDecision(s, rel.id);
  if (earlier?.state === "rolling-back") {
    log(`v${rel.number}: resuming the rollback to v${job.previous} (${earlier.reason})`);
    return finishRollback(s, from, job.previous!, earlier.reason, log, true);
  }
  if (earlier) return earlier.state;
  // Superseded or rolled back by someone else since: nothing to watch.
  if (rel.state !== "live" || (await watchCancelled(s, rel.id))) return (await decide(s, rel.id, { state: "cancelled" })).state as WatchOutcome;

  let failed: Awaited<ReturnType<typeof watchHealth>> = null;
  if (job.seconds > 0) {
    const plan = releaseProject(rel, env, names.stack, project.name, openReleaseConfig(await loadSecretKey(home), env.id, rel.config, `release v${rel.number} of ${env.name}`));
    const replicas = job.replicas.map((c) => ({ ...c, service: plan.web.service, port: plan.web.port }));
    failed = await watchHealth(s, home, replicas, plan.health, job.until, signal, () => watchCancelled(s, rel.id));
  }
  if (!failed) {
    // Under the environment's lock, and decided only once the stopped replicas are gone: a deploy
    // waits for this decision (cancelWatch) and may reuse a stopped replica whose config matches
    // (a rollback to the release before). Deciding first and removing after let such a deploy
    // start a replica that this window then removed, leaving the live release without replicas.
    const outcome = await perEnvironment(env.id, async (): Promise<WatchOutcome> => {
      if (signal.aborted || (await watchCancelled(s, rel.id))) return (await decide(s, rel.id, { state: "cancelled" })).state as WatchOutcome;
      const earlier = await readDecision(s, rel.id);
      if (earlier) return earlier.state as WatchOutcome;
      for (const id of job.retained) await removeRetained(s, team.id, id);
      return (await decide(s, rel.id, { state: "stable" })).state as WatchOutcome;
    });
    // Cancelled by a new deploy: that deploy replaces (and removes) the stopped replicas itself.
    if (outcome === "stable") await report(s, r, "release.deploy", { state: "stable" });
    return outcome;
  }
  const reason = `health failed within ${job.seconds}s of the switch: ${failed.replica.name}: ${failed.why}`;
  log(`v${rel.number}: ${reason}`);
  if (job.previous === null) {
    const d = await decide(s, rel.id, { state: "unhealthy", reason });
    if (d.state !== "unhealthy" || d.reason !== reason) return d.state as WatchOutcome;
    await s.db.release.update({ where: { id: rel.id }, data: { error: `${reason} (no release before to roll back to)` } });
    await report(s, r, "release.deploy", { state: "unhealthy", error: reason.slice(0, 500) }, { result: "unhealthy", detail: `${reason}; no release before to roll back to: v${rel.number} keeps serving` });
    return "unhealthy";
  }
  const d = await decide(s, rel.id, { state: "rolling-back", reason });
  if (d.state !== "rolling-back" || d.reason !== reason) return d.state === "rolling-back" ? "rolled-back" : d.state;
  return finishRollback(s, from, job.previous, reason, log, false);
}

async function finishRollback(s: Services, from: RollbackFrom, to: number, reason: string, log: (line: string) => void, resumed: boolean): Promise<WatchOutcome> {
  const outcome = await perEnvironment(from.environmentId, () => rollBack(s, from, to, reason, log, resumed));
  return settle(s, from.releaseId, outcome, reason);
}

/** The watch itself failed (not the release's health): it ends as "unhealthy" with the error, unless it had decided already. */
export async function watchBroke(s: Services, releaseId: string, err: Error): Promise<void> {
  const d = await decide(s, releaseId, { state: "unhealthy", reason: `the watch failed: ${err.message}` });
  if (d.state === "rolling-back") await settle(s, releaseId, "unhealthy", `${d.reason}; the rollback failed: ${err.message}`);
}
