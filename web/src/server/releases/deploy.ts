/**
 * Deploying a release to its environment without downtime: the release's compose project runs as
 * stack `env--<env>--<project>` beside the release serving now (every image by digest, the
 * environment's config as environment, `replicas` web replicas with the environment's limits;
 * stateless services start-first too, those with a named volume stop-first: deploy-converge.ts);
 * the release command runs once in a one-off container; every new web replica must pass the
 * release's health check; then the environment's named route moves to all of them in one switch,
 * the old replicas finish their requests and stop, and the states change (this release live, the
 * one before superseded). Any failure before the switch leaves the old release serving and says
 * at which step and why (ReleaseFailed). After the switch a watch window runs (watch.ts): a
 * failing health check there rolls back to the release before by itself (deploy-rollback.ts).
 */
import { BerthError, config, FailedPrecondition, NotFound, type ErrorKind, type StackEvent } from "@berth/core";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { loadSecretKey } from "../secrets/index.js";
import { runRelease } from "../deploys/index.js";
import type { StartFirstAll } from "../stacks/ready.js";
import { openReleaseConfig } from "./deploy-config.js";
import { RELEASE_LABEL, releaseProject } from "./deploy-project.js";
import { releaseUp } from "./deploy-converge.js";
import { markFailed, markLive, perEnvironment, report, type DeployReport } from "./deploy-state.js";
import { environmentRoute, moveTraffic } from "./deploy-switch.js";
import type { Replica } from "./health.js";
import type { WatchOutcome } from "./watch.js";
import { cancelWatch, enqueueWatch, waitForWatch } from "./watch-queue.js";
import { environmentNames } from "../environments/find.js";

/** Where a deploy stopped: "prepare" (the release cannot run as recorded), "start", "release", "health" or "switch". */
export type DeployStep = "prepare" | "start" | "release" | "health" | "switch";

/** A deploy that stopped before traffic moved: the old release still serves. `step` says where, the message why. */
export class ReleaseFailed extends BerthError {
  constructor(
    readonly step: DeployStep,
    kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(kind, message, options);
  }
}

export interface DeployResult {
  url: string;
  number: number;
  /** The watch window's end: "stable", or "rolled-back" when its health failed and the release before came back (never rejects). */
  watch: Promise<WatchOutcome>;
}

/** The deploy acts in the project's team with a member's rights, whoever asked (a site admin's host powers never apply). */
export function deployActor(team: { id: string; name: string; personal: boolean }, by: Actor): Actor {
  return { userId: by.userId, userName: by.userName, siteAdmin: false, readOnly: false, team: { id: team.id, name: team.name, personal: team.personal }, role: "member" };
}

export async function loadRelease(s: Services, releaseId: string) {
  const rel = await s.db.release.findUnique({ where: { id: releaseId }, include: { environment: { include: { project: { include: { team: true } } } } } });
  if (!rel) throw new NotFound(`release ${releaseId} not found`);
  return rel;
}

const safe = (onLine: (line: string) => void) => (line: string) => {
  try {
    onLine(line);
  } catch {
    /* a closed sink must not stop the deploy */
  }
};

/**
 * Deploys a pending release to its environment (see the top of this file). Resolves once the
 * release serves (`watch` then settles when its watch window ends); throws ReleaseFailed when it
 * stopped before traffic moved, with the release marked failed and the old one serving.
 */
export async function deployRelease(s: Services, releaseId: string, opts: { actor: Actor; onLine: (line: string) => void }): Promise<DeployResult> {
  const first = await loadRelease(s, releaseId);
  // A new deploy decides now: the previous release's watch window ends (a rollback under way finishes first).
  await cancelWatch(s, first.environmentId);
  return perEnvironment(first.environmentId, () => deployLocked(s, releaseId, opts.actor, safe(opts.onLine)));
}

async function deployLocked(s: Services, releaseId: string, by: Actor, say: (line: string) => void): Promise<DeployResult> {
  const rel = await loadRelease(s, releaseId);
  const env = rel.environment;
  const project = env.project;
  const team = project.team;
  const n = rel.number;
  if (rel.state !== "pending") throw new FailedPrecondition(`release v${n} of ${project.name}/${env.name} is ${rel.state}: only a pending release deploys (make a new one: berth promote or berth rollback)`);
  const names = environmentNames(team.name, project.name, env.name);
  const home = config().home;
  const r: DeployReport = { teamId: team.id, teamName: team.name, project: project.name, env: env.name, number: n, actor: { id: by.userId || null, name: by.userName } };
  const actor = deployActor(team, by);
  let step: DeployStep = "prepare";
  const at = (x: DeployStep) => (step = x);
  let switched = false;
  let failure: unknown;
  let stopped: string[] = [];
  let kept: Replica[] = [];
  let previous: number | null = null;
  let plan: ReturnType<typeof releaseProject> | undefined;

  await s.db.release.update({ where: { id: rel.id }, data: { state: "deploying" } });
  await report(s, r, "release.deploy", { state: "deploying" });
  say(`deploying v${n} of ${project.name} to ${env.name} (stack ${names.stack}, ${env.replicas} replica${env.replicas === 1 ? "" : "s"}): ${names.url}`);
  try {
    const cfg = openReleaseConfig(await loadSecretKey(home), env.id, rel.config, `release v${n} of ${env.name}`);
    plan = releaseProject(rel, env, names.stack, project.name, cfg);
    const p = plan;
    const existing = await s.db.stack.findUnique({ where: { teamId_name: { teamId: team.id, name: names.stack } }, select: { project: true } });
    if (existing && !existing.project.includes(RELEASE_LABEL.env)) throw new FailedPrecondition(`the team already has a stack called ${names.stack} that is not this environment: rename it (berth stack rm -p ${names.stack})`);
    say(`services ${Object.keys(p.project.services).join(", ")}; ${p.web.service} takes the traffic on port ${p.web.port}`);

    const ready: StartFirstAll = async (keep, replaced) => {
      try {
        if (rel.releaseCommand) {
          at("release");
          say(`release command: ${rel.releaseCommand}`);
          await runRelease(s, actor, p.project, p.web.service, rel.releaseCommand, (l) => say(`  release | ${l}`));
        }
        kept = keep.map((c) => ({ id: c.row.id, name: c.row.name, service: p.web.service, port: p.web.port }));
        const moved = await moveTraffic(s, {
          home,
          teamId: team.id,
          routeName: names.route,
          route: await environmentRoute(s, team.id, names.stack, p.web, { project: project.name, env: env.name, release: String(n), ...(rel.sha ? { sha: rel.sha } : {}) }),
          web: p.web,
          health: p.health,
          keep,
          replaced,
          say,
          at,
          afterSwitch: async () => {
            switched = true;
            previous = await markLive(s, env.id, rel.id, n);
          },
        });
        stopped = moved.stopped;
        at("start");
        // The replicas of the release before stay (stopped) for the watch window.
        return { retain: stopped };
      } catch (err) {
        failure = err;
        throw err;
      }
    };
    at("start");
    const up = await releaseUp(s, actor, { home, project: p.project, web: { service: p.web.service, ready }, say, at, onEvent: (e: StackEvent) => say(` ${e.kind} ${e.name}  ${e.status}${e.error ? `: ${e.error}` : ""}`) });
    if (up.error && !switched) throw failure ?? new FailedPrecondition(up.error);
    if (up.error) say(`warning: v${n} serves, but the deploy then stopped: ${up.error} (see berth stack ps -p ${names.stack})`);
  } catch (err) {
    const kind: ErrorKind = err instanceof BerthError ? err.kind : "FailedPrecondition";
    const msg = `deploy of v${n} to ${env.name} failed at "${step}": ${(err as Error).message}`;
    say(msg);
    say(env.liveRelease !== null ? `v${env.liveRelease} keeps serving` : "no release served before: nothing serves");
    await markFailed(s, rel.id, msg);
    await report(s, r, "release.deploy", { state: "failed", step, error: (err as Error).message.slice(0, 500) }, { result: "failed", detail: msg });
    throw new ReleaseFailed(step, kind, msg, { cause: err });
  }
  await report(s, r, "release.deploy", { state: "live", url: names.url, ...(previous !== null ? { previous: String(previous) } : {}) }, { result: "ok", detail: `v${n} live${previous !== null ? `, v${previous} superseded` : ""}` });
  say(`v${n} is live: ${names.url}`);
  if (env.watchSeconds > 0) say(`watching its health for ${env.watchSeconds}s: a failure rolls back to ${previous !== null ? `v${previous}` : "nothing (no release before)"}`);
  // A job in Redis, not a timer here: a restart of web during the window resumes it (watch-runner.ts).
  const watching = await enqueueWatch(s, env.id, { releaseId: rel.id, until: Date.now() + env.watchSeconds * 1000, seconds: env.watchSeconds, previous, replicas: kept.map((c) => ({ id: c.id, name: c.name })), retained: stopped, by: { userId: by.userId, userName: by.userName } }).then(
    () => true,
    (err: unknown) => (say(`warning: v${n} serves, but its watch window could not start: ${(err as Error).message}`), false),
  );
  // Asked for only by a caller that waits for the window (a test, a CLI following it): nobody polls otherwise.
  let watch: Promise<WatchOutcome> | undefined;
  return {
    url: names.url,
    number: n,
    get watch() {
      return (watch ??= watching ? waitForWatch(s, rel.id).then((o) => o ?? "cancelled") : Promise.resolve("cancelled" as const));
    },
  };
}
