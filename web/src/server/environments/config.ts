/**
 * An environment's own config (`berth env config`): variables and secrets, each sealed at rest
 * with the site key and bound to its environment and name (a value moved to another environment
 * or key does not open). A secret is shown masked to everyone, always. Every change bumps the
 * environment's config version; the next release records the config as it then is.
 */
import { config, InvalidArgument, NotFound } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { loadSecretKey, mask, open, seal, type SecretKey } from "../secrets/index.js";
import { VARIABLE_KEY } from "../projects/variables.js";

/** What a secret's value reads as, wherever it is shown. */
export const MASKED = mask("x");

/** The context a value of environment `envId` is sealed for: the same in its variables and in its releases' snapshots. */
export const configContext = (envId: string, key: string) => `env:${envId}:${key}`;

export interface ConfigEntry {
  key: string;
  /** MASKED when secret. */
  value: string;
  secret: boolean;
  updatedBy: string | null;
  updatedAt: string;
}

/** A release's config, as stored: `{ KEY: { value: <sealed>, secret } }`. */
export type SealedConfig = Record<string, { value: string; secret: boolean }>;

const siteKey = (): Promise<SecretKey> => loadSecretKey(config().home);

function checkKey(key: string): void {
  if (!VARIABLE_KEY.test(key)) throw new InvalidArgument(`"${key}" is not a variable name: letters, digits and _, not starting with a digit (e.g. DATABASE_URL)`);
}

export async function listConfig(db: PrismaClient, envId: string): Promise<ConfigEntry[]> {
  const rows = await db.environmentVariable.findMany({ where: { environmentId: envId }, orderBy: { key: "asc" } });
  if (!rows.length) return [];
  const key = await siteKey();
  return rows.map((r) => ({ key: r.key, value: r.secret ? MASKED : open(key, configContext(envId, r.key), r.value), secret: r.secret, updatedBy: r.updatedBy, updatedAt: r.updatedAt.toISOString() }));
}

/** Sets `values` (all secret, or none), as one new config version; returns it. */
export async function setConfig(db: PrismaClient, envId: string, values: Record<string, string>, secret: boolean, by: string): Promise<{ configVersion: number; keys: string[] }> {
  const keys = Object.keys(values).sort();
  if (!keys.length) throw new InvalidArgument("nothing to set: give KEY=VALUE pairs");
  keys.forEach(checkKey);
  const key = await siteKey();
  const writes = keys.map((k) => {
    const sealed = seal(key, configContext(envId, k), values[k]!);
    return db.environmentVariable.upsert({
      where: { environmentId_key: { environmentId: envId, key: k } },
      create: { environmentId: envId, key: k, value: sealed, secret, updatedBy: by },
      update: { value: sealed, secret, updatedBy: by },
    });
  });
  await db.$transaction([db.environment.update({ where: { id: envId }, data: { configVersion: { increment: 1 } } }), ...writes]);
  const env = await db.environment.findUniqueOrThrow({ where: { id: envId }, select: { configVersion: true } });
  return { configVersion: env.configVersion, keys };
}

/** Removes `keys` (each must be set), as one new config version. */
export async function unsetConfig(db: PrismaClient, envId: string, envName: string, keys: string[]): Promise<{ configVersion: number; keys: string[] }> {
  if (!keys.length) throw new InvalidArgument("nothing to unset: give the keys");
  const have = new Set((await db.environmentVariable.findMany({ where: { environmentId: envId, key: { in: keys } }, select: { key: true } })).map((r) => r.key));
  const missing = keys.filter((k) => !have.has(k));
  if (missing.length) throw new NotFound(`environment ${envName} has no variable ${missing.join(", ")}: see berth env config ${envName}`);
  await db.$transaction([db.environmentVariable.deleteMany({ where: { environmentId: envId, key: { in: keys } } }), db.environment.update({ where: { id: envId }, data: { configVersion: { increment: 1 } } })]);
  const env = await db.environment.findUniqueOrThrow({ where: { id: envId }, select: { configVersion: true } });
  return { configVersion: env.configVersion, keys: [...keys].sort() };
}

/** The environment's config now, still sealed, with its version: what a new release records. */
export async function configSnapshot(db: PrismaClient, envId: string): Promise<{ config: SealedConfig; configVersion: number }> {
  const [env, rows] = await Promise.all([
    db.environment.findUniqueOrThrow({ where: { id: envId }, select: { configVersion: true } }),
    db.environmentVariable.findMany({ where: { environmentId: envId }, orderBy: { key: "asc" } }),
  ]);
  return { config: Object.fromEntries(rows.map((r) => [r.key, { value: r.value, secret: r.secret }])), configVersion: env.configVersion };
}

export function parseSealedConfig(text: string): SealedConfig {
  const v = JSON.parse(text) as unknown;
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new InvalidArgument("a release's config is not a JSON object");
  return v as SealedConfig;
}

/**
 * A release's config opened: the environment variables its services get. Only for the deploy
 * (never returned by an API): `envId` is the release's own environment.
 */
export async function openConfig(envId: string, sealed: SealedConfig): Promise<Record<string, string>> {
  const entries = Object.entries(sealed);
  if (!entries.length) return {};
  const key = await siteKey();
  return Object.fromEntries(entries.map(([k, v]) => [k, open(key, configContext(envId, k), v.value)]));
}

/** A release's config as shown: plain values opened, secrets masked. */
export async function showConfig(envId: string, sealed: SealedConfig): Promise<{ key: string; value: string; secret: boolean }[]> {
  const entries = Object.entries(sealed).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return [];
  const key = await siteKey();
  return entries.map(([k, v]) => ({ key: k, value: v.secret ? MASKED : open(key, configContext(envId, k), v.value), secret: v.secret }));
}

/**
 * Puts a release's config back as the environment's config (rollback): the variables become
 * exactly those of the snapshot, as one new config version. The sealed values move as they are:
 * they were sealed for this very environment.
 */
export async function restoreConfig(db: PrismaClient, envId: string, sealed: SealedConfig, by: string): Promise<number> {
  const now = Object.entries(sealed);
  await db.$transaction([
    db.environmentVariable.deleteMany({ where: { environmentId: envId } }),
    ...now.map(([k, v]) => db.environmentVariable.create({ data: { environmentId: envId, key: k, value: v.value, secret: v.secret, updatedBy: by } })),
    db.environment.update({ where: { id: envId }, data: { configVersion: { increment: 1 } } }),
  ]);
  return (await db.environment.findUniqueOrThrow({ where: { id: envId }, select: { configVersion: true } })).configVersion;
}

/** Which keys differ between two snapshots of one environment (values compared opened; never returned). */
export async function configChanges(envId: string, from: SealedConfig, to: SealedConfig): Promise<{ key: string; change: "added" | "removed" | "changed" }[]> {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  const key = keys.length ? await siteKey() : undefined;
  const out: { key: string; change: "added" | "removed" | "changed" }[] = [];
  for (const k of keys) {
    const a = from[k];
    const b = to[k];
    if (!a) out.push({ key: k, change: "added" });
    else if (!b) out.push({ key: k, change: "removed" });
    else if (a.secret !== b.secret || open(key!, configContext(envId, k), a.value) !== open(key!, configContext(envId, k), b.value)) out.push({ key: k, change: "changed" });
  }
  return out;
}
