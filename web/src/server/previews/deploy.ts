/**
 * Branch previews: a commit's checkout becomes a stack (`<branch>--<project>`) whose web service
 * answers at `http://<branch>--<project>--<team>.<BERTH_DOMAIN>`. A new commit replaces it without
 * downtime: its images are built first (the old preview serves meanwhile), its web container starts
 * beside the old one, must answer HTTP, and only then does the edge's named route switch to it; the
 * old container goes once the edge says its requests are done. Any failure leaves the old one serving.
 */
import { BerthError, config, edgeKeys, edgeUrl, FailedPrecondition, InvalidArgument, NotFound, previewRouteName, stackLinkId, type ErrorKind, type NamedRoute, type StackEvent } from "@berth/core";
import { IMAGE_LABEL, type ComposeProject } from "@berth/core/compose";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { stackRemove, stackUpStartFirst } from "../stacks/service.js";
import type { StartFirst } from "../stacks/ready.js";
import { switchNamedRoute } from "../../edge/named-routes.js";
import { buildService, inside } from "./build.js";
import { PREVIEW_LABEL } from "./labels.js";
import { branchSlug, previewImageTag, previewStackName, projectSlug } from "./names.js";
import { runRelease, untilAnswers, WEB_PORT_LABEL } from "../deploys/index.js";
import { seedVolumes } from "./data.js";
import { readSource, type PreviewSource } from "./source.js";

export interface PreviewDeps {
  services: Services;
}

export interface DeployPreviewInput {
  teamId: string;
  teamName: string;
  /** The project's name (lower case letters, digits, single dashes). */
  project: string;
  /** The branch as git names it ("feature/login"); its slug names the preview. */
  branch: string;
  /** The commit being deployed (hex). */
  sha: string;
  /** The commit's files (an export of the commit; read only, never run from in place). */
  sourceDir: string;
  /** A fork's or an outside source's commit is not: it gets no `env`. */
  trusted: boolean;
  /** The project's preview variables and secrets (compose files interpolate them; a single-service app gets them as its environment). */
  env?: Record<string, string>;
  /** Each line of build and deploy output, as it happens (git shows them as `remote:` lines). */
  onLine: (line: string) => void;
  /** Told when the builds are done and the stack starts (the project page shows "deploying"). */
  onPhase?: (phase: "building" | "deploying") => void;
  /** Who pushed (recorded on the stack); previews always run with a member's rights, never a site admin's. */
  pushedBy?: { id: string; name: string };
}

export interface DeployPreviewResult {
  url: string;
  stackName: string;
  /** When the preview expires (berth.yaml ttl), if it sets one. */
  expiresAt?: string;
}

export interface RemovePreviewInput {
  teamId: string;
  teamName: string;
  project: string;
  branch: string;
  onLine: (line: string) => void;
}

/** A deploy that stopped: `step` says where ("read", "build web", "start", "health web", "switch"), the message why. */
export class PreviewFailed extends BerthError {
  constructor(
    readonly step: string,
    readonly service: string | undefined,
    kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(kind, message, options);
  }
}

/** How long a new web container has to answer HTTP. */
const READY_TIMEOUT_MS = 120_000;

async function previewTeam(s: Services, teamId: string, teamName: string) {
  const team = await s.db.team.findUnique({ where: { id: teamId } });
  if (!team || team.name !== teamName) throw new NotFound(`team ${teamName} not found`);
  return team;
}

function previewActor(team: { id: string; name: string; personal: boolean }, pushedBy?: { id: string; name: string }): Actor {
  return { userId: pushedBy?.id ?? "", userName: pushedBy?.name ?? "preview", siteAdmin: false, readOnly: false, team: { id: team.id, name: team.name, personal: team.personal }, role: "member" };
}

/** The names one preview goes by. */
export function previewNames(teamName: string, project: string, branch: string) {
  const p = projectSlug(project);
  const slug = branchSlug(branch, p, teamName.toLowerCase());
  const cfg = config();
  return {
    project: p,
    slug,
    stack: previewStackName(slug, p),
    route: previewRouteName(teamName, p, slug),
    url: edgeUrl({ kind: "preview", team: teamName, project: p, branch: slug }, cfg.domain, cfg.edgePort),
  };
}

/** The checkout's project as a preview runs it: built images by tag, nothing published on the host, no host paths, labelled. */
function previewProject(src: PreviewSource, names: ReturnType<typeof previewNames>, branch: string): ComposeProject {
  const project = structuredClone(src.project);
  project.workingDir = `preview:${names.project}/${branch}`;
  for (const svc of Object.values(project.services)) {
    const bind = svc.volumes.find((m) => m.type === "bind");
    if (bind) throw new InvalidArgument(`${src.from}: service "${svc.name}" bind-mounts ${bind.source}: a preview runs a commit, not a directory on the host: use a named volume, or COPY the files in its Dockerfile`);
    // The edge reaches every port by the container's address: publishing on the host would only collide.
    svc.expose = [...new Set([...svc.expose, ...svc.ports.map((p) => String(p.target))])];
    svc.ports = [];
    svc.labels = { ...svc.labels, [PREVIEW_LABEL.project]: names.project, [PREVIEW_LABEL.branch]: branch };
  }
  // Names the web service and its port in the project itself: a release made from it deploys the same.
  const web = project.services[src.web.service]!;
  web.labels = { ...web.labels, [WEB_PORT_LABEL]: String(src.web.port) };
  return project;
}

const short = (sha: string) => sha.slice(0, 7);

/**
 * Builds and deploys `sha` of `branch` as its preview, replacing the one running without
 * downtime. Throws PreviewFailed naming the step and why; the previous preview keeps serving.
 */
export async function deployPreview(deps: PreviewDeps, input: DeployPreviewInput): Promise<DeployPreviewResult> {
  const s = deps.services;
  const say = (line: string) => {
    try {
      input.onLine(line);
    } catch {
      /* a closed sink must not stop the deploy */
    }
  };
  let step = "read";
  let stepService: string | undefined;
  const at = (name: string, service?: string) => ([step, stepService] = [name, service]);
  const names = previewNames(input.teamName, input.project, input.branch);
  try {
    const team = await previewTeam(s, input.teamId, input.teamName);
    const actor = previewActor(team, input.pushedBy);
    const home = config().home;
    say(`preview ${names.url} (stack ${names.stack}): deploying ${short(input.sha)} of ${input.branch}`);
    if (!input.trusted && input.env && Object.keys(input.env).length) say("untrusted source: the project's preview variables and secrets are not given to this preview");
    const env = input.trusted ? (input.env ?? {}) : {};
    const src = readSource(input.sourceDir, names.stack, env);
    for (const w of src.warnings) say(`warning: ${w}`);
    say(`read ${src.from}: services ${Object.keys(src.project.services).join(", ")}; the web service is ${src.web.service} on port ${src.web.port}`);
    const existing = await s.db.stack.findUnique({ where: { teamId_name: { teamId: team.id, name: names.stack } } });
    if (existing && !existing.project.includes(PREVIEW_LABEL.project)) throw new FailedPrecondition(`the team already has a stack called ${names.stack} that is not this preview: rename it (berth stack rm -p ${names.stack})`);
    const project = previewProject(src, names, input.branch);

    for (const [name, svc] of Object.entries(project.services).sort(([a], [b]) => a.localeCompare(b))) {
      if (!svc.build) continue;
      at("build", name);
      if (!inside(input.sourceDir, svc.build.context)) throw new InvalidArgument(`service "${name}": its build context ${svc.build.context} is outside the repository`);
      const tag = previewImageTag(input.teamName, names.project, name, input.sha);
      say(`building ${name} as ${tag}`);
      const id = await buildService(s, actor, { context: svc.build.context, dockerfile: svc.build.dockerfile, target: svc.build.target, args: svc.build.args, tag }, (l) => say(`  ${name} | ${l}`));
      svc.image = tag;
      svc.labels = { ...svc.labels, [IMAGE_LABEL]: id };
      delete svc.build;
    }

    const expiresAt = src.config.ttlMs ? new Date(Date.now() + src.config.ttlMs).toISOString() : undefined;
    const ready: StartFirst = async (keep, replaced) => {
      const release = src.config.release;
      if (release) {
        at("release", src.web.service);
        say(`release: ${release}`);
        await runRelease(s, actor, project, src.web.service, release, (l) => say(`  release | ${l}`));
      }
      at("health", src.web.service);
      say(`waiting for ${keep.row.name} to answer HTTP on port ${src.web.port}${src.web.health ? ` at ${src.web.health.path}` : ""}`);
      await untilAnswers(s, home, keep.row.id, { service: src.web.service, port: src.web.port, health: src.web.health, timeoutMs: READY_TIMEOUT_MS });
      at("switch", src.web.service);
      const stack = await s.db.stack.findUniqueOrThrow({ where: { teamId_name: { teamId: team.id, name: names.stack } }, select: { id: true } });
      const route: NamedRoute = {
        upstream: { containerId: keep.row.id, port: src.web.port },
        teamId: team.id,
        linkId: stackLinkId(stack.id, src.web.service),
        defaultVisibility: "team",
        labels: { project: names.project, branch: input.branch, sha: input.sha, stack: names.stack, service: src.web.service, ...(expiresAt ? { expiresAt } : {}) },
        since: new Date().toISOString(),
      };
      const old = replaced.find((c) => c.row.state === "running")?.row.id;
      const out = await switchNamedRoute(home, names.route, route, old ? { old } : {});
      if (!out.served) say("warning: the edge did not confirm the switch (is it running?): it reads the route when it starts");
      else if (!out.drained) say("warning: the old container still had requests in flight after 30s: they are cut off");
      say(`traffic moved to ${keep.row.name}`);
      at("start");
    };
    at("data");
    await seedVolumes(s, team.id, project, names.project, src.config.data ?? {}, say);
    at("start");
    input.onPhase?.("deploying");
    const up = await stackUpStartFirst(s, actor, project, { startFirst: { [src.web.service]: ready }, onEvent: (e: StackEvent) => say(` ${e.kind} ${e.name}  ${e.status}${e.error ? `: ${e.error}` : ""}`) });
    if (up.error) {
      const failed = up.events.find((e) => e.status === "Error");
      if (step === "start" && failed?.service) stepService = failed.service;
      throw new FailedPrecondition(up.error);
    }
    say(`preview ready: ${names.url}`);
    return { url: names.url, stackName: names.stack, ...(expiresAt ? { expiresAt } : {}) };
  } catch (err) {
    if (err instanceof PreviewFailed) throw err;
    const kind: ErrorKind = err instanceof BerthError ? err.kind : "FailedPrecondition";
    const what = stepService ? `${step} ${stepService}` : step;
    const msg = `preview ${names.stack} (${short(input.sha)}) failed at "${what}": ${(err as Error).message}`;
    say(msg);
    say(["read", "build", "release", "health"].includes(step) ? "the previous preview, if any, keeps serving" : `see berth stack ps -p ${names.stack}`);
    throw new PreviewFailed(what, stepService, kind, msg, { cause: err });
  }
}

/** Removes a branch's preview: its route, containers, networks and volumes. Nothing to remove is not an error. */
export async function removePreview(deps: PreviewDeps, input: RemovePreviewInput): Promise<{ removed: boolean }> {
  const s = deps.services;
  const names = previewNames(input.teamName, input.project, input.branch);
  const team = await previewTeam(s, input.teamId, input.teamName);
  const say = (line: string) => {
    try {
      input.onLine(line);
    } catch {
      /* ignore */
    }
  };
  await switchNamedRoute(config().home, names.route, null);
  const row = await s.db.stack.findUnique({ where: { teamId_name: { teamId: team.id, name: names.stack } } });
  if (!row) {
    say(`no preview of ${input.project} for ${input.branch}`);
    return { removed: false };
  }
  if (!row.project.includes(PREVIEW_LABEL.project)) throw new FailedPrecondition(`stack ${names.stack} is not a preview: remove it with berth stack rm -p ${names.stack}`);
  const services = Object.keys((JSON.parse(row.project) as ComposeProject).services);
  const events = await stackRemove(s, team.id, names.stack, true, true);
  for (const e of events) say(` ${e.kind} ${e.name}  ${e.status}`);
  for (const svc of services) await s.redis.del(edgeKeys.visibility(stackLinkId(row.id, svc)));
  say(`preview ${names.url} removed`);
  return { removed: true };
}
