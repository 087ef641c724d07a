/**
 * Releasing to an environment that runs elsewhere: every service's image is copied by digest to
 * the environment's registry (manifest, config and layers; blobs the registry has are skipped)
 * with its credentials, by the worker's registry client, the one `berth push` uses. The worker
 * then reads each manifest back and checks it is the one pushed and names the release's image;
 * only then is the release live, recording where each image went. Any failure leaves the release
 * failed, saying which registry and why, and the one before it live.
 */
import { BerthError, FailedPrecondition, JOB_REGISTRY, REGISTRY_CREDENTIAL_PREFIX, type ImagePushResult, type RegistryProgress } from "@berth/core";
import type { Actor } from "../policy/index.js";
import type { Services } from "../services.js";
import { imageHost, runHostJob } from "../images/jobs.js";
import { stashCredential } from "../images/registry-http.js";
import { openRegistryCredentials, parseRegistryRepository, serviceRepository } from "../environments/registry.js";
import { loadRelease } from "./deploy.js";
import { markFailed, markLive, report, type DeployReport } from "./deploy-state.js";
import { parseImages } from "./summary.js";

const COPY_TIMEOUT_MS = 3 * 3600_000;

/** Says what went wrong with the registry named, in terms of what to do about it. */
function explain(err: unknown, o: { registry: string; repository: string; env: string; project: string; user: string | undefined; service: string; imageId: string; ref: string }): string {
  const msg = (err as Error).message;
  const kind = err instanceof BerthError ? err.kind : undefined;
  const again = `set them with berth env set ${o.project} ${o.env} --registry ${o.repository} --registry-user USER --registry-password-stdin`;
  if (kind === "Unauthenticated") return `the registry ${o.registry} refused ${o.user ? `the credentials of ${o.env} (user ${o.user})` : `${o.env}'s anonymous push (it has no credentials)`}: ${msg}; ${again}`;
  if (kind === "PermissionDenied") return `the registry ${o.registry} denied ${o.user ?? "an anonymous user"} pushing to ${o.ref}: ${msg}`;
  if (kind === "Unavailable") return `the registry ${o.registry} could not be reached: ${msg}`;
  return `copying ${o.service} (${o.imageId}) to ${o.ref} failed: ${msg}`;
}

/** Copies a pending release of an environment with a registry there, verified; returns where each image went. */
export async function copyRelease(s: Services, releaseId: string, opts: { actor: Actor; onLine: (line: string) => void }): Promise<{ copiedTo: Record<string, string> }> {
  const rel = await loadRelease(s, releaseId);
  const env = rel.environment;
  const project = env.project;
  const n = rel.number;
  const say = opts.onLine;
  if (!env.registry) throw new FailedPrecondition(`${project.name} ${env.name} has no registry to copy to`);
  if (rel.state !== "pending") throw new FailedPrecondition(`release v${n} of ${project.name}/${env.name} is ${rel.state}: only a pending release is copied`);
  const { registry } = parseRegistryRepository(env.registry);
  const r: DeployReport = { teamId: project.team.id, teamName: project.team.name, project: project.name, env: env.name, number: n, actor: { id: opts.actor.userId || null, name: opts.actor.userName } };
  await s.db.release.update({ where: { id: rel.id }, data: { state: "deploying" } });
  await report(s, r, "release.deploy", { state: "deploying", registry: env.registry });
  say(`copying v${n} of ${project.name} to ${env.registry} (${env.name} runs elsewhere: nothing is started here)`);
  const copiedTo: Record<string, string> = {};
  let user: string | undefined;
  let current = { service: "", imageId: "", ref: env.registry };
  try {
    const creds = await openRegistryCredentials(env);
    user = creds?.username;
    const hostId = await imageHost(s);
    for (const [service, imageId] of Object.entries(parseImages(rel.images)).sort(([a], [b]) => a.localeCompare(b))) {
      const repo = serviceRepository(env.registry, service);
      const ref = `${repo}:${env.name}-v${n}`;
      current = { service, imageId, ref };
      const key = await stashCredential(s, creds);
      let out: ImagePushResult;
      try {
        out = await runHostJob<ImagePushResult>(s, JOB_REGISTRY.imagePush, { imageId, ref, verify: true, ...(key ? { credentialKey: key } : {}) }, {
          hostId,
          timeoutMs: COPY_TIMEOUT_MS,
          onProgress: (p) => {
            const { id, status } = p as RegistryProgress;
            say(`  ${service} | ${id ? `${id}: ` : ""}${status}`);
          },
        });
      } finally {
        if (key) await s.redis.del(`${REGISTRY_CREDENTIAL_PREFIX}${key}`).catch(() => undefined);
      }
      // The worker read the manifest back and refused a mismatch itself (verifyPushed); a result
      // without `verified` comes from a worker that did not read it back: not a proven copy.
      if (!out.verified) throw new FailedPrecondition(`copy of ${service} (${imageId}) to ${ref} not verified: the worker pushed ${out.digest} but did not read it back (is it older than this web? restart it)`);
      copiedTo[service] = `${repo}@${out.verified}`;
      say(`${service}  ${imageId}  → ${copiedTo[service]} (read back: same digest)`);
    }
  } catch (err) {
    const msg = `copy of v${n} to ${env.registry} failed: ${explain(err, { registry, repository: env.registry, env: env.name, project: project.name, user, ...current })}`;
    say(msg);
    say(env.liveRelease !== null ? `v${env.liveRelease} stays the live release of ${env.name}` : `${env.name} has no live release`);
    await markFailed(s, rel.id, msg);
    await report(s, r, "release.deploy", { state: "failed", step: "copy", registry: env.registry, error: msg.slice(0, 500) }, { result: "failed", detail: msg });
    throw new BerthError(err instanceof BerthError ? err.kind : "FailedPrecondition", msg, { cause: err });
  }
  await s.db.release.update({ where: { id: rel.id }, data: { copiedTo: JSON.stringify(copiedTo) } });
  const previous = await markLive(s, env.id, rel.id, n);
  await report(s, r, "release.deploy", { state: "live", registry: env.registry, ...(previous !== null ? { previous: String(previous) } : {}) }, { result: "ok", detail: `v${n} copied to ${env.registry} and verified${previous !== null ? `, v${previous} superseded` : ""}` });
  say(`v${n} is live in ${env.registry}: every image copied by digest and read back`);
  return { copiedTo };
}
