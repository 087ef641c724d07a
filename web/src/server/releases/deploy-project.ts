import { InvalidArgument, ReleaseHealth, ReleaseImages } from "@berth/core";
import { ComposeProject } from "@berth/core/compose";
import { webOf, type WebService } from "../deploys/index.js";
import { PREVIEW_LABEL } from "../previews/labels.js";

/** Labels on an environment's containers (beside Compose's): which project and environment, and the web replicas' release. */
export const RELEASE_LABEL = {
  project: "berth.release.project",
  env: "berth.release.env",
  number: "berth.release.number",
} as const;

export interface ReleaseRow {
  number: number;
  images: string;
  project: string;
  health: string;
}

export interface EnvironmentRow {
  name: string;
  replicas: number;
  cpus: number | null;
  memoryBytes: bigint | null;
}

export interface DeployPlan {
  project: ComposeProject;
  web: WebService;
  health: ReleaseHealth;
}

const json = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArgument(`${what} is not JSON: ${(err as Error).message}`);
  }
};

/** The image a service runs, named by its digest in the release. */
function imageOf(images: ReleaseImages, service: string, where: string): string {
  const id = images[service];
  if (!id) throw new InvalidArgument(`${where}: service "${service}" has no image digest in the release's images (it has ${Object.keys(images).join(", ") || "none"}): a release names every service's image by digest`);
  return id;
}

/**
 * The compose project an environment runs for a release: the release's project as stack
 * `stack`, every service on the image digest the release names (nothing built or pulled by tag),
 * the environment's config as every service's environment, nothing published on the host (the
 * edge reaches the web replicas by address, and old and new replicas run side by side), the
 * environment's replica count and limits on the web service, and the release's command health
 * check as that service's healthcheck (the worker then runs it as Compose does).
 */
export function releaseProject(release: ReleaseRow, env: EnvironmentRow, stack: string, projectName: string, config: Record<string, string>): DeployPlan {
  const where = `release v${release.number} of ${env.name}`;
  const parsed = ComposeProject.safeParse(json(release.project, `${where}: its project`));
  if (!parsed.success) throw new InvalidArgument(`${where}: its project is not a compose project: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
  const images = ReleaseImages.safeParse(json(release.images, `${where}: its images`));
  if (!images.success) throw new InvalidArgument(`${where}: its images: ${images.error.issues[0]?.message}`);
  const health = ReleaseHealth.safeParse(json(release.health, `${where}: its health check`));
  if (!health.success) throw new InvalidArgument(`${where}: its health check: ${health.error.issues[0]?.path.join(".")}: ${health.error.issues[0]?.message}`);
  const project = parsed.data;
  const web = webOf(project, where);
  project.name = stack;
  project.workingDir = `release:${projectName}/${env.name}`;
  for (const svc of Object.values(project.services)) {
    const bind = svc.volumes.find((m) => m.type === "bind");
    if (bind) throw new InvalidArgument(`${where}: service "${svc.name}" bind-mounts ${bind.source}: a release runs images, not directories of the host: use a named volume`);
    svc.image = imageOf(images.data, svc.name, where);
    delete svc.build;
    svc.expose = [...new Set([...svc.expose, ...svc.ports.map((p) => String(p.target))])];
    svc.ports = [];
    svc.environment = { ...svc.environment, ...config };
    const labels: Record<string, string> = { ...svc.labels, [RELEASE_LABEL.project]: projectName, [RELEASE_LABEL.env]: env.name };
    for (const l of Object.values(PREVIEW_LABEL)) delete labels[l];
    svc.labels = labels;
  }
  const svc = project.services[web.service]!;
  // Each release's web replicas are its own: a new release never reuses an old one's containers.
  svc.labels[RELEASE_LABEL.number] = String(release.number);
  svc.replicas = env.replicas;
  if (env.cpus !== null) svc.limits.cpus = env.cpus;
  if (env.memoryBytes !== null) svc.limits.memory = Number(env.memoryBytes);
  const h = health.data;
  if (h.kind === "command") {
    const test = h.test[0] === "CMD" || h.test[0] === "CMD-SHELL" ? h.test : ["CMD", ...h.test];
    svc.healthcheck = { test, intervalMs: h.intervalMs, timeoutMs: h.timeoutMs, retries: h.retries, startPeriodMs: h.startPeriodMs, startIntervalMs: h.intervalMs };
    svc.healthcheckDisabled = false;
  }
  if (h.kind === "image" && svc.healthcheckDisabled) throw new InvalidArgument(`${where}: the health check is the image's own, but service "${svc.name}" disables it (healthcheck: disable): give the release an http or command check`);
  return { project, web, health: h };
}
