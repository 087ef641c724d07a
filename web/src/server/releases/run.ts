/**
 * Making a release and deploying it, one at a time per environment (a push, a promotion and a
 * rollback of one environment never deploy side by side). Making it is audited and published
 * here (release.create); the deploy reports its own steps (deploy.ts).
 */
import { keyedQueue, publishEvent } from "@berth/core";
import type { Db } from "@berth/core/db";
import type { Actor } from "../policy/index.js";
import type { Services } from "../services.js";
import { recordAudit } from "../audit/index.js";
import { createRelease, type NewRelease } from "./create.js";
import { deployRelease } from "./deploy.js";
import { copyRelease } from "./copy.js";

/** Work on one environment runs in order. */
export const perEnvironment = keyedQueue();

export interface ReleaseContext {
  actor: Actor;
  project: string;
  env: { id: string; name: string };
  onLine: (line: string) => void;
  /** Where the request came from, for the audit log (none: Berth itself, e.g. a push's hook). */
  origin?: { address: string; client: string };
}

export interface DeployOutcome {
  number: number;
  url: string | null;
  ok: boolean;
  error: string | null;
  /** An environment that runs elsewhere: where each service's image was copied ("host/repo/svc@sha256:…"). */
  copiedTo: Record<string, string> | null;
}

const target = (c: ReleaseContext, n: number) => `${c.project} ${c.env.name} v${n}`;

async function audit(s: Services, c: ReleaseContext, action: "release.create", n: number, result: string, detail: string): Promise<void> {
  await recordAudit(
    s.db,
    s.log,
    { actorId: c.actor.userId || null, actorName: c.actor.userName, teamId: c.actor.team.id, teamName: c.actor.team.name, action, target: target(c, n), result, detail },
    c.origin ?? { address: "", client: "berth" },
  );
}

/** `release.create`: attributes name (project), env, number, reason, sha, source, by (as the deploy's release.deploy events). */
async function releaseCreated(s: Services, c: ReleaseContext, r: Db.Release): Promise<void> {
  await publishEvent(
    s.redis,
    {
      type: "release.create",
      id: `${c.project}/${c.env.name}/v${r.number}`,
      teamId: c.actor.team.id,
      attributes: { name: c.project, env: c.env.name, number: String(r.number), reason: r.reason, ...(r.sha ? { sha: r.sha } : {}), ...(r.source ? { source: r.source } : {}), by: c.actor.userName },
    },
    (err) => s.log.warn({ err: err.message, project: c.project, env: c.env.name }, "could not publish release.create"),
  );
}

/**
 * Writes the release and deploys it (serially per environment). `make` runs in the queue, so it
 * sees the environment as the earlier deploys left it, and may refuse; `after` runs once the
 * release is live. A failed deploy is an outcome (the old release serves), not a throw.
 */
export function releaseAndDeploy(
  s: Services,
  c: ReleaseContext,
  make: () => Promise<Omit<NewRelease, "environmentId" | "createdBy">>,
  after?: (r: Db.Release) => Promise<void>,
): Promise<DeployOutcome> {
  return perEnvironment(c.env.id, async () => {
    const say = (line: string) => {
      try {
        c.onLine(line);
      } catch {
        /* a listener gone away does not stop a deploy */
      }
    };
    const spec = await make();
    const r = await createRelease(s.db, { ...spec, environmentId: c.env.id, createdBy: { id: c.actor.userId || null, name: c.actor.userName } });
    say(`${c.project} ${c.env.name}: release v${r.number} (${r.reason}${r.sha ? `, commit ${r.sha.slice(0, 12)}` : ""}, config version ${r.configVersion})`);
    await audit(s, c, "release.create", r.number, "ok", r.reason);
    await releaseCreated(s, c, r);
    try {
      // An environment with a registry runs elsewhere: its release is copied there, not run here.
      const { registry } = await s.db.environment.findUniqueOrThrow({ where: { id: c.env.id }, select: { registry: true } });
      if (registry) {
        const out = await copyRelease(s, r.id, { actor: c.actor, onLine: say });
        await after?.(r);
        return { number: r.number, url: null, ok: true, error: null, copiedTo: out.copiedTo };
      }
      // The deploy reports its own steps (events, audit: release.deploy, release.rollback).
      const out = await deployRelease(s, r.id, { actor: c.actor, onLine: say });
      await after?.(r);
      return { number: r.number, url: out.url, ok: true, error: null, copiedTo: null };
    } catch (err) {
      const error = (err as Error).message;
      say(`${c.project} ${c.env.name}: release v${r.number} failed: ${error}`);
      return { number: r.number, url: null, ok: false, error, copiedTo: null };
    }
  });
}
