import type { Job } from "bullmq";
import type { RegistryProgress } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import { RegistryClient, resolveRemote, takeCredential } from "../registry-client/index.js";
import type { ImageJobDeps } from "./deps.js";

/**
 * What a push or pull job needs before it moves bytes: the remote its ref names, a client
 * holding the job's one-time credential, and a progress reporter that also tells of retries.
 */
export async function registrySession(d: ImageJobDeps & { redis: Redis }, job: Job, ref: string, credentialKey: string | undefined) {
  const creds = await takeCredential(d.redis, credentialKey);
  const remote = resolveRemote(ref);
  const client = new RegistryClient({ registry: remote.registry, ...(creds ? { creds } : {}) });
  const progress = (p: RegistryProgress) => void job.updateProgress({ ...p }).catch(() => undefined);
  client.onRetry = (what, e, n) => {
    d.log.warn({ what, err: e.message, attempt: n }, "registry request failed; retrying");
    progress({ id: "", status: `Retrying (${n}): ${e.message}` });
  };
  return { remote, client, progress };
}
