/**
 * Promotion and rollback: both make a new release from an existing one's images (by digest,
 * nothing rebuilt) and deploy it the usual way. A promotion takes the source environment's live
 * release with the target's own config; a rollback takes an earlier release of the same
 * environment with its config, which becomes the environment's config again once it is live.
 */
import { FailedPrecondition, InvalidArgument } from "@berth/core";
import { ComposeProject } from "@berth/core/compose";
import type { Db } from "@berth/core/db";
import type { Actor } from "../policy/index.js";
import type { Services } from "../services.js";
import { parseSealedConfig, restoreConfig } from "../environments/config.js";
import { environmentNames, findEnvironment } from "../environments/find.js";
import { releaseRow } from "./read.js";
import { parseHealth, parseImages } from "./summary.js";
import { releaseAndDeploy, type DeployOutcome } from "./run.js";

export interface ReleaseRunResult extends DeployOutcome {
  lines: string[];
}

/** A release's project, renamed for the environment it is deployed to. */
function projectFor(r: Db.Release, stack: string, env: string, project: string): ComposeProject {
  const p = ComposeProject.parse(JSON.parse(r.project));
  p.name = stack;
  p.workingDir = `env:${project}/${env}`;
  return p;
}

/** States a release that once served has: only those are promoted or rolled back to. */
const SERVED = new Set(["live", "superseded", "rolled-back"]);

/**
 * `expected`: the source release the caller reviewed (the dashboard's dialog, `--release vN`): if
 * the source's live release is another one by now, nothing is promoted.
 */
export async function promote(s: Services, actor: Actor, project: string, from: string, to: string, origin?: { address: string; client: string }, expected?: number): Promise<ReleaseRunResult> {
  if (from === to) throw new InvalidArgument(`promote from ${from} to ${to}: the source and the target are the same environment`);
  const src = await findEnvironment(s.db, actor.team.id, project, from);
  const dst = await findEnvironment(s.db, actor.team.id, project, to);
  const lines: string[] = [];
  const names = environmentNames(actor.team.name, src.project.name, dst.env.name);
  const out = await releaseAndDeploy(s, { actor, project, env: dst.env, onLine: (l) => lines.push(l), ...(origin ? { origin } : {}) }, async () => {
    const e = await s.db.environment.findUniqueOrThrow({ where: { id: src.env.id }, select: { liveRelease: true } });
    if (e.liveRelease === null && expected !== undefined) throw new FailedPrecondition(`${from} has no live release now, not v${expected}: review and promote again`);
    if (e.liveRelease === null) {
      throw new FailedPrecondition(`${project} ${from} has no live release to promote${src.env.branch ? `: push to ${src.env.branch} to deploy it first` : `: promote to ${from} or roll it back first`}`);
    }
    if (expected !== undefined && e.liveRelease !== expected) throw new FailedPrecondition(`${from} is now at v${e.liveRelease}, not v${expected}: review and promote again`);
    const r = await releaseRow(s.db, src.env, project, e.liveRelease);
    const images = parseImages(r.images);
    lines.push(`promoting ${from} v${r.number} to ${to}: ${Object.entries(images).map(([svc, d]) => `${svc} ${d}`).join(", ")} (not rebuilt), with ${to}'s own config`);
    return {
      images,
      project: projectFor(r, names.stack, dst.env.name, src.project.name),
      health: parseHealth(r.health),
      releaseCommand: r.releaseCommand,
      sha: r.sha,
      reason: `promote ${from} v${r.number}`,
      source: `${from} v${r.number}`,
    };
  });
  return { ...out, lines };
}

/** The releases after `n` whose release command ran (it may have changed data a rollback does not undo). */
async function commandsRanAfter(s: Services, envId: string, n: number): Promise<Db.Release[]> {
  const later = await s.db.release.findMany({ where: { environmentId: envId, number: { gt: n }, releaseCommand: { not: null } }, orderBy: { number: "asc" } });
  // A failed release ran its command unless it failed before (at "start"); one never deployed did not.
  return later.filter((r) => SERVED.has(r.state) || (r.state === "failed" && !/at "?start/.test(r.error ?? "")));
}

/**
 * Rolls `env` back to release `to` (default: the newest earlier release that served): a new
 * release with that one's images and config; warns about release commands that ran after it.
 */
export async function rollback(s: Services, actor: Actor, project: string, env: string, to: number | undefined, origin?: { address: string; client: string }): Promise<ReleaseRunResult> {
  const e = await findEnvironment(s.db, actor.team.id, project, env);
  const lines: string[] = [];
  const names = environmentNames(actor.team.name, e.project.name, e.env.name);
  let target: Db.Release | undefined;
  const out = await releaseAndDeploy(
    s,
    { actor, project, env: e.env, onLine: (l) => lines.push(l), ...(origin ? { origin } : {}) },
    async () => {
      const now = await s.db.environment.findUniqueOrThrow({ where: { id: e.env.id }, select: { liveRelease: true, configVersion: true } });
      if (to === undefined) {
        if (now.liveRelease === null) throw new FailedPrecondition(`${project} ${env} has no live release to roll back from: name the release (berth rollback ${project} ${env} vN)`);
        target = (await s.db.release.findFirst({ where: { environmentId: e.env.id, number: { lt: now.liveRelease }, state: { in: [...SERVED] } }, orderBy: { number: "desc" } })) ?? undefined;
        if (!target) throw new FailedPrecondition(`${project} ${env} has no earlier release that served to roll back to: see berth release ls ${project} ${env}`);
      } else {
        target = await releaseRow(s.db, e.env, project, to);
        if (now.liveRelease === to) throw new FailedPrecondition(`${project} ${env} v${to} is the live release already`);
        if (!SERVED.has(target.state)) throw new FailedPrecondition(`${project} ${env} v${to} never served (it is ${target.state}${target.error ? `: ${target.error}` : ""}): roll back to a release that did (berth release ls ${project} ${env})`);
      }
      for (const r of await commandsRanAfter(s, e.env.id, target.number)) {
        lines.push(`warning: v${r.number} ran its release command \`${r.releaseCommand}\` after v${target.number}: what it changed (a migration, say) is not undone by this rollback`);
      }
      lines.push(`rolling ${env} back to v${target.number}: its images and its config (version ${target.configVersion})`);
      return {
        images: parseImages(target.images),
        project: projectFor(target, names.stack, e.env.name, e.project.name),
        health: parseHealth(target.health),
        releaseCommand: target.releaseCommand,
        sha: target.sha,
        reason: `rollback to v${target.number}`,
        source: `${env} v${target.number}`,
        // The config it ran with; the environment's own becomes the same once this one is live.
        config: { config: parseSealedConfig(target.config), configVersion: now.configVersion + 1 },
      };
    },
    async () => {
      await restoreConfig(s.db, e.env.id, parseSealedConfig(target!.config), actor.userName);
      lines.push(`${env}'s config is v${target!.number}'s again`);
    },
  );
  return { ...out, lines };
}

/**
 * A new release of what `env` runs now with its config as it is now (after a config change):
 * the same images, the next config version.
 */
export async function redeployConfig(s: Services, actor: Actor, project: string, env: string, reason: string, origin?: { address: string; client: string }): Promise<ReleaseRunResult> {
  const e = await findEnvironment(s.db, actor.team.id, project, env);
  const lines: string[] = [];
  const names = environmentNames(actor.team.name, e.project.name, e.env.name);
  const out = await releaseAndDeploy(s, { actor, project, env: e.env, onLine: (l) => lines.push(l), ...(origin ? { origin } : {}) }, async () => {
    const now = await s.db.environment.findUniqueOrThrow({ where: { id: e.env.id }, select: { liveRelease: true } });
    if (now.liveRelease === null) throw new FailedPrecondition(`${project} ${env} has no live release to deploy the new config with: the next release uses it`);
    const r = await releaseRow(s.db, e.env, project, now.liveRelease);
    return {
      images: parseImages(r.images),
      project: projectFor(r, names.stack, e.env.name, e.project.name),
      health: parseHealth(r.health),
      releaseCommand: r.releaseCommand,
      sha: r.sha,
      reason,
      source: `${env} v${r.number}`,
    };
  });
  return { ...out, lines };
}
