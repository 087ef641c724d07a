/** Reading releases: an environment's history, one release in full (config masked), the difference of two. */
import { InvalidArgument, NotFound, type ReleaseHealth } from "@berth/core";
import type { Db, PrismaClient } from "@berth/core/db";
import { configChanges, parseSealedConfig, showConfig } from "../environments/config.js";
import { findEnvironment } from "../environments/find.js";
import { parseHealth, parseImages, releaseSummary, type ReleaseSummary } from "./summary.js";

/** "v3", "V3" or "3": a release number. */
export function releaseNumber(text: string | number): number {
  const n = typeof text === "number" ? text : Number(/^[vV]?(\d{1,9})$/.exec(text.trim())?.[1] ?? NaN);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgument(`"${text}" is not a release: write vN (e.g. v3), as berth release ls shows`);
  return n;
}

export async function releaseRow(db: PrismaClient, env: { id: string; name: string }, project: string, number: number): Promise<Db.Release> {
  const r = await db.release.findUnique({ where: { environmentId_number: { environmentId: env.id, number } } });
  if (!r) throw new NotFound(`${project} ${env.name} has no release v${number}: see berth release ls ${project} ${env.name}`);
  return r;
}

export async function listReleases(db: PrismaClient, teamId: string, project: string, env: string, limit = 50): Promise<ReleaseSummary[]> {
  const e = await findEnvironment(db, teamId, project, env);
  const rows = await db.release.findMany({ where: { environmentId: e.env.id }, orderBy: { number: "desc" }, take: limit });
  return rows.map(releaseSummary);
}

export interface ReleaseDetail extends ReleaseSummary {
  health: ReleaseHealth;
  releaseCommand: string | null;
  /** Secrets masked, always. */
  config: { key: string; value: string; secret: boolean }[];
}

export async function showRelease(db: PrismaClient, teamId: string, project: string, env: string, number: number): Promise<ReleaseDetail> {
  const e = await findEnvironment(db, teamId, project, env);
  const r = await releaseRow(db, e.env, project, number);
  return { ...releaseSummary(r), health: parseHealth(r.health), releaseCommand: r.releaseCommand, config: await showConfig(e.env.id, parseSealedConfig(r.config)) };
}

export interface ReleaseDiff {
  images: { service: string; from?: string; to?: string }[];
  config: { key: string; change: "added" | "removed" | "changed" }[];
  releaseCommand?: { from?: string; to?: string };
}

/** What changes going from release `from` to release `to` of one environment: images by digest, config keys (never values), the release command. */
export async function diffReleases(db: PrismaClient, teamId: string, project: string, env: string, from: number, to: number): Promise<ReleaseDiff> {
  const e = await findEnvironment(db, teamId, project, env);
  const [a, b] = [await releaseRow(db, e.env, project, from), await releaseRow(db, e.env, project, to)];
  return diffRows(e.env.id, a, b);
}

export async function diffRows(envId: string, a: Db.Release, b: Db.Release, bConfigEnvId = envId): Promise<ReleaseDiff> {
  const ia = parseImages(a.images);
  const ib = parseImages(b.images);
  const images: ReleaseDiff["images"] = [];
  for (const service of [...new Set([...Object.keys(ia), ...Object.keys(ib)])].sort()) {
    if (ia[service] === ib[service]) continue;
    images.push({ service, ...(ia[service] ? { from: ia[service] } : {}), ...(ib[service] ? { to: ib[service] } : {}) });
  }
  // Config is compared within one environment only (another's values are its own business).
  const config = bConfigEnvId === envId ? await configChanges(envId, parseSealedConfig(a.config), parseSealedConfig(b.config)) : [];
  const out: ReleaseDiff = { images, config };
  if ((a.releaseCommand ?? null) !== (b.releaseCommand ?? null)) out.releaseCommand = { ...(a.releaseCommand ? { from: a.releaseCommand } : {}), ...(b.releaseCommand ? { to: b.releaseCommand } : {}) };
  return out;
}
