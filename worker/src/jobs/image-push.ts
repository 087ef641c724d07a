import type { Job } from "bullmq";
import { ImagePushJob, type ImagePushResult, type JobOutcome, type RegistryProgress } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import { pushImage, RegistryClient, resolveRemote, takeCredential } from "../registry-client/index.js";
import type { ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `image.push`: a local image to the registry its ref names; progress lines go out through job progress. */
export default function imagePush(d: ImageJobDeps & { redis: Redis }) {
  return async (job: Job): Promise<JobOutcome<ImagePushResult>> => {
    const { imageId, ref, credentialKey } = ImagePushJob.parse(job.data);
    return outcome(d.log, "image push", async () => {
      const creds = await takeCredential(d.redis, credentialKey);
      const remote = resolveRemote(ref);
      const client = new RegistryClient({ registry: remote.registry, ...(creds ? { creds } : {}) });
      const progress = (p: RegistryProgress) => void job.updateProgress({ ...p }).catch(() => undefined);
      client.onRetry = (what, e, n) => {
        d.log.warn({ what, err: e.message, attempt: n }, "registry request failed; retrying");
        progress({ id: "", status: `Retrying (${n}): ${e.message}` });
      };
      const r = await pushImage({ db: d.db, blobs: d.blobs }, client, imageId, remote, progress);
      d.log.info({ ref, ...r }, "image pushed");
      return r;
    });
  };
}
