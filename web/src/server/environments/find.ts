/**
 * Finding a project's environments. A project gets the default ones (staging following its
 * default branch, production by promotion only) when it is made; a project made before
 * environments existed gets them the first time any of them is asked for.
 */
import { config, DEFAULT_ENVIRONMENTS, edgeUrl, environmentRouteName, NotFound } from "@berth/core";
import type { Db, PrismaClient } from "@berth/core/db";
import { newRowId } from "../auth/crypto.js";

export type EnvironmentRow = Db.Environment;
export type ProjectRow = { id: string; teamId: string; name: string; defaultBranch: string };

/** Makes the default environments of a project that has none (idempotent; a race makes them once). */
export async function ensureDefaultEnvironments(db: PrismaClient, project: ProjectRow): Promise<void> {
  if (await db.environment.count({ where: { projectId: project.id } })) return;
  for (const d of DEFAULT_ENVIRONMENTS) {
    const data = { id: newRowId(), projectId: project.id, name: d.name, position: d.position, branch: d.followsDefaultBranch ? project.defaultBranch : null };
    // Another request made them a moment ago: the unique (projectId, name) keeps one.
    await db.environment.createMany({ data: [data] }).catch((err: { code?: string }) => {
      if (err.code !== "P2002") throw err;
    });
  }
}

export async function findProjectRow(db: PrismaClient, teamId: string, name: string): Promise<ProjectRow> {
  const p = await db.project.findUnique({ where: { teamId_name: { teamId, name } }, select: { id: true, teamId: true, name: true, defaultBranch: true } });
  if (!p) throw new NotFound(`project ${name} not found: see berth project ls`);
  return p;
}

/** The project's environments in pipeline order (the defaults made first if it has none). */
export async function projectEnvironments(db: PrismaClient, project: ProjectRow): Promise<EnvironmentRow[]> {
  await ensureDefaultEnvironments(db, project);
  return db.environment.findMany({ where: { projectId: project.id }, orderBy: [{ position: "asc" }, { name: "asc" }] });
}

/** One environment of a team's project, or NotFound naming what exists. */
export async function findEnvironment(db: PrismaClient, teamId: string, projectName: string, env: string): Promise<{ project: ProjectRow; env: EnvironmentRow }> {
  const project = await findProjectRow(db, teamId, projectName);
  await ensureDefaultEnvironments(db, project);
  const row = await db.environment.findUnique({ where: { projectId_name: { projectId: project.id, name: env } } });
  if (!row) {
    const names = (await db.environment.findMany({ where: { projectId: project.id }, select: { name: true }, orderBy: { position: "asc" } })).map((e) => e.name);
    throw new NotFound(`project ${projectName} has no environment ${env} (it has ${names.join(", ") || "none"}): see berth env ls ${projectName}`);
  }
  return { project, env: row };
}

/** The names an environment goes by: its URL, its stack and its route on the edge. */
export function environmentNames(teamName: string, project: string, env: string) {
  const cfg = config();
  return {
    url: edgeUrl({ kind: "environment", team: teamName, project, env }, cfg.domain, cfg.edgePort),
    stack: `env--${env}--${project}`,
    route: environmentRouteName(teamName, project, env),
  };
}

/** `domains` as stored (a JSON array of host names). */
export function domainsOf(row: { domains: string }): string[] {
  try {
    const v = JSON.parse(row.domains) as unknown;
    return Array.isArray(v) ? v.filter((d): d is string => typeof d === "string") : [];
  } catch {
    return [];
  }
}
