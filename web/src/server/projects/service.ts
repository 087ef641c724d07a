/** Projects as team objects: create (with its repository), list, inspect, remove, follow an outside repository. */
import fs from "node:fs/promises";
import { AlreadyExists, config, FailedPrecondition, NotFound } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { randomSecret, newRowId } from "../auth/crypto.js";
import { previewEngine } from "./deployer.js";
import { handlePush, serially, type PushDeps } from "./push.js";
import { branchHeads, initRepo, repoPath } from "./repo.js";
import { sealWebhookSecret } from "./webhook-secret.js";
import { checkUpstreamUrl, deployChanges, fetchBranches } from "./upstream.js";
import { ensureDefaultEnvironments } from "../environments/find.js";

type Deps = PushDeps;

export interface ProjectSummary {
  name: string;
  defaultBranch: string;
  /** Where to push and clone. */
  remote: string;
  upstreamUrl: string | null;
  webhookUrl: string;
  hasWebhookSecret: boolean;
  createdAt: string;
  branches: number;
}

export interface BranchSummary {
  name: string;
  sha: string;
  state: string;
  error: string | null;
  url: string | null;
  trusted: boolean;
  updatedAt: string;
}

const base = () => config().url;
export const remoteUrl = (team: string, name: string) => `${base()}/git/${encodeURIComponent(team)}/${encodeURIComponent(name)}.git`;
export const webhookUrl = (team: string, name: string) => `${base()}/git/${encodeURIComponent(team)}/${encodeURIComponent(name)}/webhook`;

type Row = { name: string; defaultBranch: string; upstreamUrl: string | null; webhookSecret: string | null; createdAt: Date; _count: { branches: number } };
const summary = (team: string, p: Row): ProjectSummary => ({
  name: p.name,
  defaultBranch: p.defaultBranch,
  remote: remoteUrl(team, p.name),
  upstreamUrl: p.upstreamUrl,
  webhookUrl: webhookUrl(team, p.name),
  hasWebhookSecret: p.webhookSecret !== null,
  createdAt: p.createdAt.toISOString(),
  branches: p._count.branches,
});
const WITH_COUNT = { _count: { select: { branches: { where: { state: { not: "removed" } } } } } } as const;

export async function findProject(db: PrismaClient, teamId: string, name: string) {
  const p = await db.project.findUnique({ where: { teamId_name: { teamId, name } } });
  if (!p) throw new NotFound(`project ${name} not found: see berth project ls`);
  return p;
}

/** Creates the project and its repository; with an upstream, a webhook secret (returned this once) and a first fetch. */
export async function createProject(s: Deps, team: { id: string; name: string }, userId: string, input: { name: string; from?: string; defaultBranch: string }): Promise<{ project: ProjectSummary; webhookSecret: string | null }> {
  const upstreamUrl = input.from ? checkUpstreamUrl(input.from) : null;
  if (await s.db.project.findUnique({ where: { teamId_name: { teamId: team.id, name: input.name } } })) throw new AlreadyExists(`project ${input.name} already exists in team ${team.name}`);
  const webhookSecret = upstreamUrl ? randomSecret("whsec_") : null;
  const id = newRowId();
  const dir = repoPath(team.id, input.name);
  // A folder left by a project removed half-way is not anyone's history: start clean.
  await fs.rm(dir, { recursive: true, force: true });
  await initRepo(dir, input.defaultBranch);
  const sealed = webhookSecret ? await sealWebhookSecret(id, webhookSecret) : null;
  const row = await s.db.project.create({ data: { id, teamId: team.id, name: input.name, createdById: userId, defaultBranch: input.defaultBranch, upstreamUrl, webhookSecret: sealed }, include: WITH_COUNT });
  // staging (following the default branch) and production (by promotion), in pipeline order
  await ensureDefaultEnvironments(s.db, row);
  return { project: summary(team.name, row), webhookSecret };
}

export async function listProjects(db: PrismaClient, team: { id: string; name: string }): Promise<ProjectSummary[]> {
  const rows = await db.project.findMany({ where: { teamId: team.id }, orderBy: { name: "asc" }, include: WITH_COUNT });
  return rows.map((r) => summary(team.name, r));
}

export async function getProject(db: PrismaClient, team: { id: string; name: string }, name: string): Promise<ProjectSummary & { branchList: BranchSummary[] }> {
  const p = await db.project.findUnique({ where: { teamId_name: { teamId: team.id, name } }, include: WITH_COUNT });
  if (!p) throw new NotFound(`project ${name} not found: see berth project ls`);
  return { ...summary(team.name, p), branchList: await listBranches(db, team.id, name) };
}

export async function listBranches(db: PrismaClient, teamId: string, name: string): Promise<BranchSummary[]> {
  const p = await findProject(db, teamId, name);
  const rows = await db.projectBranch.findMany({ where: { projectId: p.id }, orderBy: { name: "asc" } });
  return rows.map((b) => ({ name: b.name, sha: b.sha, state: b.state, error: b.error, url: b.url, trusted: b.trusted, updatedAt: b.updatedAt.toISOString() }));
}

/** The last push's output of one branch. */
export async function branchLog(db: PrismaClient, teamId: string, name: string, branch: string): Promise<string> {
  const p = await findProject(db, teamId, name);
  const b = await db.projectBranch.findUnique({ where: { projectId_name: { projectId: p.id, name: branch } } });
  if (!b) throw new NotFound(`branch ${branch} of project ${name} not found: see berth project status ${name}`);
  return b.log;
}

/** Removes the project: its previews first (when an engine runs them), then its row and repository. */
export async function removeProject(s: Deps, team: { id: string; name: string }, name: string): Promise<{ removed: string }> {
  const p = await findProject(s.db, team.id, name);
  const engine = previewEngine();
  if (engine) {
    const live = await s.db.projectBranch.findMany({ where: { projectId: p.id, state: { not: "removed" } } });
    for (const b of live) await engine.remove({ teamId: team.id, teamName: team.name, projectId: p.id, project: p.name, branch: b.name, onLine: (l) => s.log.info({ project: p.name, branch: b.name }, l) });
  }
  await s.db.project.delete({ where: { id: p.id } });
  await fs.rm(repoPath(team.id, name), { recursive: true, force: true });
  return { removed: name };
}

/** Follows an outside repository (or, with null, stops): a new webhook secret, returned this once. */
export async function setUpstream(db: PrismaClient, teamId: string, name: string, url: string | null): Promise<{ upstreamUrl: string | null; webhookSecret: string | null }> {
  const p = await findProject(db, teamId, name);
  const upstreamUrl = url ? checkUpstreamUrl(url) : null;
  const webhookSecret = upstreamUrl ? randomSecret("whsec_") : null;
  await db.project.update({ where: { id: p.id }, data: { upstreamUrl, webhookSecret: webhookSecret ? await sealWebhookSecret(p.id, webhookSecret) : null } });
  return { upstreamUrl, webhookSecret };
}

/** `berth project sync`: fetch the upstream now and deploy what changed; the lines of every deploy. */
export async function syncProject(s: Deps, teamId: string, name: string): Promise<{ branches: { branch: string; state: string; url: string | null; error: string | null }[]; lines: string[] }> {
  const p = await findProject(s.db, teamId, name);
  const changes = await fetchBranches(p);
  const lines: string[] = [];
  if (!changes.length) lines.push(`${name} is up to date with ${p.upstreamUrl}`);
  const results = await deployChanges(s, p, changes, (l) => lines.push(l));
  return { branches: results.map((r) => ({ branch: r.branch, state: r.result.state, url: r.result.url ?? null, error: r.result.error ?? null })), lines };
}

/** Deploys a branch's recorded commit again (after a failed deploy, or to rebuild the same commit). */
export async function redeployBranch(s: Deps, teamId: string, name: string, branch: string): Promise<{ state: string; url: string | null; error: string | null; lines: string[] }> {
  const p = await findProject(s.db, teamId, name);
  const b = await s.db.projectBranch.findUnique({ where: { projectId_name: { projectId: p.id, name: branch } } });
  // A preview removed by its ttl or `preview rm` comes back while its branch is still in git.
  const head = b ? (await branchHeads(repoPath(teamId, p.name))).get(branch) : undefined;
  if (!b || (b.state === "removed" && !head)) throw new NotFound(`branch ${branch} of project ${name} not found (or deleted): see berth project status ${name}`);
  const sha = head ?? b.sha;
  const lines: string[] = [];
  const r = await handlePush(s, { teamId, project: name, branch, oldSha: b.sha, newSha: sha, deleted: false, trusted: b.trusted, onLine: (l) => lines.push(l) });
  return { state: r.state, url: r.url ?? null, error: r.error ?? null, lines };
}

export interface PreviewSummary {
  project: string;
  branch: string;
  sha: string;
  state: string;
  url: string | null;
  updatedAt: string;
}

/** `berth preview ls`: the team's branch previews that exist (any state but removed), newest first. */
export async function listPreviews(db: PrismaClient, teamId: string): Promise<PreviewSummary[]> {
  const rows = await db.projectBranch.findMany({ where: { project: { teamId }, state: { not: "removed" } }, include: { project: { select: { name: true } } }, orderBy: { updatedAt: "desc" } });
  return rows.map((b) => ({ project: b.project.name, branch: b.name, sha: b.sha, state: b.state, url: b.url, updatedAt: b.updatedAt.toISOString() }));
}

/** `berth preview rm`: removes a branch's preview (containers, volumes, route); the branch stays in git and its next push deploys again. */
export async function removeBranchPreview(s: Deps, team: { id: string; name: string }, name: string, branch: string, by: string): Promise<{ lines: string[] }> {
  const p = await findProject(s.db, team.id, name);
  const key = { projectId_name: { projectId: p.id, name: branch } };
  const engine = previewEngine();
  if (!engine) throw new FailedPrecondition("preview deploys are not enabled on this Berth");
  return serially(`${team.id}/${p.name}/${branch}`, async () => {
    const b = await s.db.projectBranch.findUnique({ where: key });
    if (!b || b.state === "removed") throw new NotFound(`no preview of ${name} for branch ${branch}: see berth preview ls`);
    const lines: string[] = [];
    await engine.remove({ teamId: team.id, teamName: team.name, projectId: p.id, project: p.name, branch, onLine: (l) => lines.push(l) });
    await s.db.projectBranch.update({ where: key, data: { state: "removed", url: null, error: `removed by ${by} (berth preview rm): berth project redeploy ${name} --branch ${branch}, or a new push, deploys it again`, log: lines.join("\n") } });
    return { lines };
  });
}
