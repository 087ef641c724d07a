/**
 * An environment that runs elsewhere: its releases are copied, by digest and verified, to a
 * registry repository of the team's choosing ("registry.example.com/shop": each service goes to
 * <repository>/<service>), with credentials sealed at rest with the site key like a secret config
 * value, bound to the environment and to the registry host (credentials are never sent to a host
 * they were not given for). Berth records where each image went; it does not run such an
 * environment itself. The credentials are never shown back, to anyone.
 */
import { config, FailedPrecondition, InvalidArgument } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { loadSecretKey, open, seal } from "../secrets/index.js";

export interface RegistryCredentials {
  username: string;
  password: string;
}

/** How an environment's registry is shown: where, and whether credentials are set (never which). */
export interface RegistryTarget {
  /** "host[:port]/path" */
  repository: string;
  credentials: boolean;
}

const HOST = /^(?:localhost|\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*)(?::\d{1,5})?$/;
/** A repository path component, as the distribution spec defines it. */
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

/**
 * "host[:port]/path" checked: a host (with a dot or a port, or localhost, so it cannot be read as
 * a Docker Hub name), then one or more lowercase path components; no tag, no digest.
 */
export function parseRegistryRepository(text: string): { registry: string; path: string; repository: string } {
  const t = text.trim().replace(/\/+$/, "");
  const slash = t.indexOf("/");
  const host = slash < 0 ? t : t.slice(0, slash);
  const path = slash < 0 ? "" : t.slice(slash + 1);
  const example = "e.g. registry.example.com/shop or 127.0.0.1:5000/shop";
  if (!host || !HOST.test(host) || !(host.includes(".") || host.includes(":") || host === "localhost")) {
    throw new InvalidArgument(`"${text}" does not start with a registry host: write HOST[:PORT]/REPOSITORY (${example})`);
  }
  if (!path) throw new InvalidArgument(`"${text}" names no repository on ${host}: write HOST[:PORT]/REPOSITORY (${example})`);
  if (/[:@]/.test(path)) throw new InvalidArgument(`"${text}": name the repository only, with no tag or digest (Berth tags each release itself, ${example})`);
  const bad = path.split("/").find((c) => !COMPONENT.test(c));
  if (bad !== undefined) throw new InvalidArgument(`"${text}": "${bad}" is not a repository name part: lowercase letters, digits and . _ - between them (${example})`);
  return { registry: host.toLowerCase(), path, repository: `${host.toLowerCase()}/${path}` };
}

/** Where service `service` of an environment with repository `repository` goes. */
export function serviceRepository(repository: string, service: string): string {
  const part = service.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "service";
  return `${repository}/${part}`;
}

const context = (envId: string, registry: string) => `env:${envId}:registry:${registry}`;

export function registryTarget(row: { registry: string | null; registryAuth: string | null }): RegistryTarget | null {
  return row.registry ? { repository: row.registry, credentials: !!row.registryAuth } : null;
}

/**
 * Sets (or, with `repository` null, removes) an environment's registry. Credentials are both
 * given or neither; none given keeps the ones set for the same host, and drops those of another.
 */
export async function setRegistry(db: PrismaClient, env: { id: string; name: string; registry: string | null; registryAuth: string | null }, repository: string | null, creds: RegistryCredentials | undefined): Promise<{ target: RegistryTarget | null; dropped: boolean }> {
  if (repository === null) {
    if (creds) throw new InvalidArgument("credentials without a registry: give --registry HOST/REPOSITORY too");
    await db.environment.update({ where: { id: env.id }, data: { registry: null, registryAuth: null } });
    return { target: null, dropped: !!env.registryAuth };
  }
  const r = parseRegistryRepository(repository);
  if (creds && (!creds.username || !creds.password)) throw new InvalidArgument("registry credentials need both a user and a password (or token)");
  const sameHost = env.registry !== null && parseRegistryRepository(env.registry).registry === r.registry;
  let auth: string | null = sameHost ? env.registryAuth : null;
  if (creds) auth = seal(await loadSecretKey(config().home), context(env.id, r.registry), JSON.stringify({ username: creds.username, password: creds.password }));
  await db.environment.update({ where: { id: env.id }, data: { registry: r.repository, registryAuth: auth } });
  return { target: { repository: r.repository, credentials: !!auth }, dropped: !creds && !sameHost && !!env.registryAuth };
}

/** The credentials to copy with (only the copy opens them; never returned by an API). */
export async function openRegistryCredentials(env: { id: string; name: string; registry: string | null; registryAuth: string | null }): Promise<RegistryCredentials | undefined> {
  if (!env.registry || !env.registryAuth) return undefined;
  const host = parseRegistryRepository(env.registry).registry;
  let plain: string;
  try {
    plain = open(await loadSecretKey(config().home), context(env.id, host), env.registryAuth);
  } catch (err) {
    throw new FailedPrecondition(`the credentials of ${env.name} for ${host} do not open (${(err as Error).message}): set them again with --registry-user and --registry-password-stdin`, { cause: err });
  }
  const c = JSON.parse(plain) as RegistryCredentials;
  return { username: c.username, password: c.password };
}
