import { config, InvalidArgument, NotFound } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { loadSecretKey, mask, open, seal } from "../secrets/index.js";

async function findProject(db: PrismaClient, teamId: string, name: string) {
  const p = await db.project.findUnique({ where: { teamId_name: { teamId, name } }, select: { id: true } });
  if (!p) throw new NotFound(`project ${name} not found: see berth project ls`);
  return p;
}

/**
 * A project's preview variables (`berth project env`): given to each trusted preview, where its
 * compose file interpolates them (`${DATABASE_URL}`); a fork's pull request gets none. Every value
 * is sealed at rest, bound to its project and key; a secret one is shown masked, never again.
 */
export const VARIABLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface VariableSummary {
  key: string;
  value: string;
  secret: boolean;
  updatedBy: string | null;
  updatedAt: string;
}

const context = (projectId: string, key: string) => `project:${projectId}:env:${key}`;

export async function listVariables(db: PrismaClient, teamId: string, project: string): Promise<VariableSummary[]> {
  const p = await findProject(db, teamId, project);
  const key = await loadSecretKey(config().home);
  const rows = await db.projectVariable.findMany({ where: { projectId: p.id }, orderBy: { key: "asc" } });
  return rows.map((r) => ({ key: r.key, value: r.secret ? mask("x") : open(key, context(p.id, r.key), r.value), secret: r.secret, updatedBy: r.updatedBy, updatedAt: r.updatedAt.toISOString() }));
}

export async function setVariable(db: PrismaClient, teamId: string, project: string, name: string, value: string, secret: boolean, by: string): Promise<{ key: string; secret: boolean }> {
  if (!VARIABLE_KEY.test(name)) throw new InvalidArgument(`"${name}" is not a variable name: letters, digits and _, not starting with a digit (e.g. DATABASE_URL)`);
  const p = await findProject(db, teamId, project);
  const sealed = seal(await loadSecretKey(config().home), context(p.id, name), value);
  await db.projectVariable.upsert({ where: { projectId_key: { projectId: p.id, key: name } }, create: { projectId: p.id, key: name, value: sealed, secret, updatedBy: by }, update: { value: sealed, secret, updatedBy: by } });
  return { key: name, secret };
}

export async function unsetVariable(db: PrismaClient, teamId: string, project: string, name: string): Promise<{ key: string }> {
  const p = await findProject(db, teamId, project);
  const gone = await db.projectVariable.deleteMany({ where: { projectId: p.id, key: name } });
  if (!gone.count) throw new NotFound(`project ${project} has no variable ${name}: see berth project env ${project}`);
  return { key: name };
}

/** The values a trusted preview of the project gets, opened. */
export async function previewVariables(db: PrismaClient, projectId: string): Promise<Record<string, string>> {
  const rows = await db.projectVariable.findMany({ where: { projectId } });
  if (!rows.length) return {};
  const key = await loadSecretKey(config().home);
  return Object.fromEntries(rows.map((r) => [r.key, open(key, context(projectId, r.key), r.value)]));
}
