import { InvalidArgument, parseImageRef, REGISTRY_CREDENTIAL_PREFIX } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import type { Credentials } from "./auth.js";

export interface Remote {
  registry: string;
  repository: string;
  /** Tag or digest to ask the registry for. */
  reference: string;
  /** The local tag ("host/repo:tag"), as the user wrote the name; none when pulled by digest. */
  localRef: string | undefined;
}

/**
 * Where a ref lives: "127.0.0.1:5000/alice/app:1" → that registry; a name without a registry
 * host means Docker Hub ("busybox" → docker.io, library/busybox), as Docker does.
 */
export function resolveRemote(ref: string): Remote {
  const r = parseImageRef(ref);
  const registry = r.registry ?? "docker.io";
  let repository = r.repository ?? r.name;
  if ((registry === "docker.io" || registry === "index.docker.io") && !repository.includes("/")) repository = `library/${repository}`;
  return { registry, repository, reference: r.digest ?? r.tag, localRef: r.digest ? undefined : `${r.name}:${r.tag}` };
}

/** Reads and deletes a job's credential from Redis (web put it there under a random key, with a TTL). */
export async function takeCredential(redis: Redis, key: string | undefined): Promise<Credentials | undefined> {
  if (!key) return undefined;
  const raw = await redis.getdel(`${REGISTRY_CREDENTIAL_PREFIX}${key}`);
  if (!raw) throw new InvalidArgument("the registry credentials for this job expired before it started: try again");
  const c = JSON.parse(raw) as Credentials;
  return { username: c.username, password: c.password };
}
