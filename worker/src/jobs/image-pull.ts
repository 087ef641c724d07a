import type { Job } from "bullmq";
import { ImagePullJob, type ImagePullResult, type JobOutcome, type RegistryProgress } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import { pullImage, RegistryClient, resolveRemote, takeCredential } from "../registry-client/index.js";
import type { ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `image.pull`: an image from the registry its ref names into the store, tagged under that ref. */
export default function imagePull(d: ImageJobDeps & { redis: Redis }) {
  return async (job: Job): Promise<JobOutcome<ImagePullResult>> => {
    const { ref, credentialKey } = ImagePullJob.parse(job.data);
    return outcome(d.log, "image pull", async () => {
      const creds = await takeCredential(d.redis, credentialKey);
      const remote = resolveRemote(ref);
      const client = new RegistryClient({ registry: remote.registry, ...(creds ? { creds } : {}) });
      const progress = (p: RegistryProgress) => void job.updateProgress({ ...p }).catch(() => undefined);
      client.onRetry = (what, e, n) => {
        d.log.warn({ what, err: e.message, attempt: n }, "registry request failed; retrying");
        progress({ id: "", status: `Retrying (${n}): ${e.message}` });
      };
      const r = await pullImage({ db: d.db, blobs: d.blobs }, client, remote, remote.localRef, progress);
      d.log.info({ ref, ...r }, "image pulled");
      return { ...r, ref: remote.localRef ?? `${remote.registry}/${remote.repository}@${r.digest}` };
    });
  };
}
