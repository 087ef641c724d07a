/** `berth env ls|create|rm|set`: a project's environments, in pipeline order. */
import { AlreadyExists, config, EnvironmentName, FailedPrecondition, InvalidArgument } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { newRowId } from "../auth/crypto.js";
import { switchNamedRoute, updateNamedRoute } from "../../edge/named-routes.js";
import type { Services } from "../services.js";
import { stackRemove } from "../stacks/service.js";
import { releaseSummary, type ReleaseSummary } from "../releases/summary.js";
import { domainsOf, environmentNames, findEnvironment, findProjectRow, projectEnvironments } from "./find.js";
import { registryTarget, setRegistry, type RegistryCredentials, type RegistryTarget } from "./registry.js";

export interface EnvironmentSummary {
  name: string;
  position: number;
  /** The branch whose pushes deploy here (null: promotion and rollback only). */
  branch: string | null;
  url: string;
  domains: string[];
  replicas: number;
  cpus: number | null;
  memoryBytes: number | null;
  watchSeconds: number;
  configVersion: number;
  /**
   * The registry repository its releases are copied to (credentials never shown); set, the
   * environment runs elsewhere: a release is copied there and recorded, not run here.
   */
  registry: RegistryTarget | null;
  /** The release serving now (copied to its registry, for an environment with one). */
  live: ReleaseSummary | null;
  /** The newest release (may be deploying or failed). */
  last: ReleaseSummary | null;
}

export async function listEnvironments(db: PrismaClient, team: { id: string; name: string }, project: string): Promise<EnvironmentSummary[]> {
  const p = await findProjectRow(db, team.id, project);
  const envs = await projectEnvironments(db, p);
  const out: EnvironmentSummary[] = [];
  for (const e of envs) {
    const last = await db.release.findFirst({ where: { environmentId: e.id }, orderBy: { number: "desc" } });
    const live = e.liveRelease === null ? null : e.liveRelease === last?.number ? last : await db.release.findUnique({ where: { environmentId_number: { environmentId: e.id, number: e.liveRelease } } });
    out.push({
      name: e.name,
      position: e.position,
      branch: e.branch,
      url: environmentNames(team.name, p.name, e.name).url,
      domains: domainsOf(e),
      replicas: e.replicas,
      cpus: e.cpus,
      memoryBytes: e.memoryBytes === null ? null : Number(e.memoryBytes),
      watchSeconds: e.watchSeconds,
      configVersion: e.configVersion,
      registry: registryTarget(e),
      live: live ? releaseSummary(live) : null,
      last: last ? releaseSummary(last) : null,
    });
  }
  return out;
}

export interface EnvironmentSettings {
  /** Pipeline order: lower comes first (previews are before all). */
  position?: number | undefined;
  /** The branch whose pushes deploy here; null: promotion and rollback only. */
  branch?: string | null | undefined;
  replicas?: number | undefined;
  cpus?: number | null | undefined;
  memoryBytes?: number | null | undefined;
  watchSeconds?: number | undefined;
  /** Extra host names it answers to (app.example.com); [] for none. */
  domains?: string[] | undefined;
}

const REPLICAS_MAX = 20;
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Host names, each valid, outside Berth's own domain (its generated names live there), and no other environment's. */
async function checkDomains(db: PrismaClient, envId: string | null, domains: string[]): Promise<string[]> {
  const out = [...new Set(domains.map((d) => d.trim().toLowerCase().replace(/\.$/, "")))];
  const own = config().domain.toLowerCase();
  for (const d of out) {
    if (!HOST.test(d)) throw new InvalidArgument(`"${d}" is not a host name (e.g. app.example.com)`);
    if (d === own || d.endsWith(`.${own}`)) throw new InvalidArgument(`${d} is under Berth's own domain ${own}, where previews and environments get their names: use a domain of your own`);
  }
  for (const d of out) {
    const taken = await db.environment.findMany({ where: { domains: { contains: `"${d}"` }, ...(envId ? { id: { not: envId } } : {}) }, select: { domains: true } });
    const other = taken.find((e) => domainsOf(e).includes(d));
    if (other) throw new AlreadyExists(`${d} already belongs to another environment: remove it there first`);
  }
  return out;
}

function checkSettings(s: EnvironmentSettings): void {
  if (s.replicas !== undefined && (!Number.isInteger(s.replicas) || s.replicas < 1 || s.replicas > REPLICAS_MAX)) throw new InvalidArgument(`replicas must be a whole number from 1 to ${REPLICAS_MAX}`);
  if (s.cpus != null && !(s.cpus > 0 && s.cpus <= 1024)) throw new InvalidArgument("cpus must be a number above 0 (e.g. 0.5)");
  if (s.memoryBytes != null && !(Number.isInteger(s.memoryBytes) && s.memoryBytes >= 6 * 1024 * 1024)) throw new InvalidArgument("memory must be at least 6 MiB (e.g. 256m)");
  if (s.watchSeconds !== undefined && (!Number.isInteger(s.watchSeconds) || s.watchSeconds < 0 || s.watchSeconds > 86_400)) throw new InvalidArgument("the watch window is 0 to 86400 seconds");
  if (s.position !== undefined && (!Number.isInteger(s.position) || s.position < 1 || s.position > 1000)) throw new InvalidArgument("position must be a whole number from 1 to 1000 (previews come before 1)");
}

const settingsData = (s: EnvironmentSettings) => ({
  ...(s.position !== undefined ? { position: s.position } : {}),
  ...(s.branch !== undefined ? { branch: s.branch } : {}),
  ...(s.replicas !== undefined ? { replicas: s.replicas } : {}),
  ...(s.cpus !== undefined ? { cpus: s.cpus } : {}),
  ...(s.memoryBytes !== undefined ? { memoryBytes: s.memoryBytes === null ? null : BigInt(s.memoryBytes) } : {}),
  ...(s.watchSeconds !== undefined ? { watchSeconds: s.watchSeconds } : {}),
  ...(s.domains !== undefined ? { domains: JSON.stringify(s.domains) } : {}),
});

/**
 * Puts `id` at `position` in its project's pipeline (those at or after it move down one) and
 * numbers the pipeline 1, 2, 3… again, so positions stay distinct.
 */
async function placeAt(db: PrismaClient, projectId: string, id: string, position: number): Promise<void> {
  const envs = await db.environment.findMany({ where: { projectId }, orderBy: [{ position: "asc" }, { name: "asc" }], select: { id: true, position: true } });
  const rest = envs.filter((e) => e.id !== id);
  rest.splice(Math.min(Math.max(position - 1, 0), rest.length), 0, { id, position });
  await db.$transaction(rest.map((e, i) => db.environment.update({ where: { id: e.id }, data: { position: i + 1 } })));
}

export async function createEnvironment(db: PrismaClient, team: { id: string; name: string }, project: string, name: string, s: EnvironmentSettings): Promise<EnvironmentSummary> {
  const env = EnvironmentName.parse(name);
  checkSettings(s);
  const p = await findProjectRow(db, team.id, project);
  const envs = await projectEnvironments(db, p);
  if (envs.some((e) => e.name === env)) throw new AlreadyExists(`project ${project} already has an environment ${env}`);
  const position = s.position ?? Math.max(0, ...envs.map((e) => e.position)) + 1;
  if (s.domains) s = { ...s, domains: await checkDomains(db, null, s.domains) };
  const id = newRowId();
  await db.environment.create({ data: { id, projectId: p.id, name: env, ...settingsData({ ...s, position }), position } });
  await placeAt(db, p.id, id, position);
  return (await listEnvironments(db, team, project)).find((e) => e.name === env)!;
}

export async function updateEnvironment(db: PrismaClient, team: { id: string; name: string }, project: string, name: string, s: EnvironmentSettings): Promise<EnvironmentSummary> {
  checkSettings(s);
  const { env } = await findEnvironment(db, team.id, project, name);
  if (s.domains) s = { ...s, domains: await checkDomains(db, env.id, s.domains) };
  await db.environment.update({ where: { id: env.id }, data: settingsData(s) });
  if (s.position !== undefined) await placeAt(db, env.projectId, env.id, s.position);
  // New domains answer at once: the live release's route gets them (a later deploy writes them too).
  const domains = s.domains;
  if (domains !== undefined) {
    const { project: p } = await findEnvironment(db, team.id, project, name);
    await updateNamedRoute(config().home, environmentNames(team.name, p.name, name).route, ({ domains: _old, ...route }) => (domains.length ? { ...route, domains } : route));
  }
  return (await listEnvironments(db, team, project)).find((e) => e.name === name)!;
}

/**
 * Points an environment at a registry (its releases are copied there from now on, not run here),
 * or with `repository` null back to running here. Lines say what changed.
 */
export async function updateRegistry(db: PrismaClient, team: { id: string; name: string }, project: string, name: string, repository: string | null, creds: RegistryCredentials | undefined): Promise<{ environment: EnvironmentSummary; lines: string[] }> {
  const { env } = await findEnvironment(db, team.id, project, name);
  const r = await setRegistry(db, env, repository, creds);
  const lines: string[] = [];
  if (r.target) {
    lines.push(`${name} runs elsewhere: each release is copied to ${r.target.repository}/<service> by digest, verified, and recorded; Berth does not run it here`);
    if (!r.target.credentials) lines.push(`no credentials set for ${r.target.repository}: the copy goes anonymously (add --registry-user U --registry-password-stdin)`);
    if (env.liveRelease !== null && env.registry === null) lines.push(`v${env.liveRelease}, running here now, keeps running until the environment is removed (berth env rm ${project} ${name})`);
  } else lines.push(`${name} runs here again: its next release is deployed by Berth`);
  if (r.dropped) lines.push("the credentials set before were for another registry: dropped");
  return { environment: (await listEnvironments(db, team, project)).find((e) => e.name === name)!, lines };
}

/** Removes an environment: its route, its running release (unless `force`, one serving is refused), its config and releases. */
export async function removeEnvironment(s: Services, team: { id: string; name: string }, project: string, name: string, force: boolean): Promise<{ removed: string; lines: string[] }> {
  const { env, project: p } = await findEnvironment(s.db, team.id, project, name);
  if (env.liveRelease !== null && !force) throw new FailedPrecondition(`${project} ${name} is serving release v${env.liveRelease}: removing it takes its site down; add --force to do so`);
  const names = environmentNames(team.name, p.name, env.name);
  const lines: string[] = [];
  await switchNamedRoute(config().home, names.route, null);
  const stack = await s.db.stack.findUnique({ where: { teamId_name: { teamId: team.id, name: names.stack } }, select: { id: true } });
  if (stack) for (const e of await stackRemove(s, team.id, names.stack, true, true)) lines.push(` ${e.kind} ${e.name}  ${e.status}`);
  await s.db.environment.delete({ where: { id: env.id } });
  lines.push(`environment ${name} of ${project} removed`);
  return { removed: name, lines };
}
