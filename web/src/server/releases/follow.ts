/**
 * An environment that follows a branch (staging follows the default branch): once a push's
 * preview of that branch is live, its images — the ids the preview runs, so exactly what was
 * just built and checked — become a release of the environment, deployed at once. The release's
 * project is read again from the commit, without the preview's variables: the environment's own
 * config is what its services get.
 */
import { InvalidArgument, type ReleaseHealth, type ReleaseImages } from "@berth/core";
import { ComposeProject, IMAGE_LABEL, LABEL } from "@berth/core/compose";
import type { PrismaClient } from "@berth/core/db";
import { resolveImage } from "@berth/core";
import type { Actor } from "../policy/index.js";
import type { Services } from "../services.js";
import { stackContainers } from "../stacks/containers.js";
import { readSource, type PreviewSource } from "../previews/source.js";
import { PREVIEW_LABEL } from "../previews/labels.js";
import type { BranchFollower } from "../projects/follower.js";
import { environmentNames, projectEnvironments } from "../environments/find.js";
import { releaseAndDeploy } from "./run.js";

/** The label naming the service that takes the environment's traffic, and its port (the deploy engine reads it). */
export const WEB_PORT_LABEL = "berth.web.port";

/** What a release needs from a commit whose preview runs: images by id, the project, the health check, the release command. */
export interface ReleaseSpec {
  images: ReleaseImages;
  project: ComposeProject;
  health: ReleaseHealth;
  releaseCommand: string | null;
}

/** Every service's image id, as the preview's containers run it (a service with none: its image reference, resolved in the team). */
async function previewImages(s: Services, db: PrismaClient, teamId: string, stack: string, src: PreviewSource): Promise<ReleaseImages> {
  const running = await stackContainers(s, teamId, stack);
  const images: ReleaseImages = {};
  for (const [name, svc] of Object.entries(src.project.services)) {
    const c = running.find((x) => x.service === name);
    if (c) images[name] = c.row.imageId;
    else if (svc.image && !svc.build) images[name] = (await resolveImage(db, { teamId, siteAdmin: false }, svc.image)).id;
    else throw new InvalidArgument(`service "${name}" has no container in preview ${stack} to take its image from`);
  }
  return images;
}

/** The release's project: the commit's services with images by id, nothing published on the host, the web service labelled. */
export function releaseProject(src: PreviewSource, images: ReleaseImages, stack: string, where: string): ComposeProject {
  const project = ComposeProject.parse(structuredClone(src.project));
  project.name = stack;
  project.workingDir = where;
  project.warnings = [];
  for (const [name, svc] of Object.entries(project.services)) {
    const bind = svc.volumes.find((m) => m.type === "bind");
    if (bind) throw new InvalidArgument(`${src.from}: service "${name}" bind-mounts ${bind.source}: a release runs images, not a directory on the host: use a named volume, or COPY the files in`);
    const id = images[name]!;
    svc.image = id;
    delete svc.build;
    // The edge reaches every port by the container's address: publishing on the host would only collide.
    svc.expose = [...new Set([...svc.expose, ...svc.ports.map((p) => String(p.target))])];
    svc.ports = [];
    const labels = { ...svc.labels };
    for (const l of [...Object.values(PREVIEW_LABEL), ...Object.values(LABEL)]) delete labels[l];
    svc.labels = { ...labels, [IMAGE_LABEL]: id, ...(name === src.web.service ? { [WEB_PORT_LABEL]: String(src.web.port) } : {}) };
  }
  return project;
}

/** berth.yaml's web.health, else the web service's own healthcheck, else "must answer HTTP". */
export function releaseHealth(src: PreviewSource): ReleaseHealth {
  const timing = { intervalMs: 1_000, timeoutMs: 5_000, retries: 3, startPeriodMs: 60_000 };
  if (src.web.health) return { kind: "http", path: src.web.health.path, ...(src.web.health.status !== undefined ? { status: src.web.health.status } : {}), ...timing, implicit: false };
  const svc = src.project.services[src.web.service];
  if (svc?.healthcheck && !svc.healthcheckDisabled) return { kind: "image", ...timing, implicit: false };
  return { kind: "http", path: "/", ...timing, implicit: true };
}

export async function releaseFromPreview(s: Services, teamId: string, previewStack: string, dir: string, stack: string, where: string): Promise<ReleaseSpec> {
  // Read without the preview's variables: an environment's services get the environment's config.
  const src = readSource(dir, stack, {});
  const images = await previewImages(s, s.db, teamId, previewStack, src);
  return { images, project: releaseProject(src, images, stack, where), health: releaseHealth(src), releaseCommand: src.config.release ?? null };
}

/** The follower push.ts calls once a branch's preview is live. */
export function branchFollowerFor(s: Services): BranchFollower {
  return async (i) => {
    const project = { id: i.projectId, teamId: i.teamId, name: i.project, defaultBranch: i.defaultBranch };
    const envs = (await projectEnvironments(s.db, project)).filter((e) => e.branch === i.branch);
    if (!envs.length) return;
    if (!i.stackName) {
      i.onLine(`environments ${envs.map((e) => e.name).join(", ")} follow ${i.branch}, but this Berth's preview engine names no stack to take the images from: not deployed`);
      return;
    }
    const team = await s.db.team.findUniqueOrThrow({ where: { id: i.teamId }, select: { id: true, name: true, personal: true } });
    const actor: Actor = { userId: i.pushedBy?.id ?? "", userName: i.pushedBy?.name ?? "git push", siteAdmin: false, readOnly: false, team, role: "member" };
    for (const env of envs) {
      const names = environmentNames(team.name, i.project, env.name);
      try {
        const out = await releaseAndDeploy(s, { actor, project: i.project, env, onLine: i.onLine }, async () => ({
          ...(await releaseFromPreview(s, i.teamId, i.stackName!, i.dir, names.stack, `env:${i.project}/${env.name}`)),
          sha: i.sha,
          reason: `push ${i.branch}`,
          source: null,
        }));
        if (!out.ok) i.onLine(`${env.name} was not updated: berth release show ${i.project} ${env.name} v${out.number}`);
      } catch (err) {
        i.onLine(`${env.name} follows ${i.branch} but no release was made: ${(err as Error).message}`);
      }
    }
  };
}
