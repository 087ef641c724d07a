import type { Job } from "bullmq";
import { ImagePushJob, type ImagePushResult, type JobOutcome } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import { pushImage, verifyPushed } from "../registry-client/index.js";
import { registrySession } from "./registry-session.js";
import type { ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `image.push`: a local image to the registry its ref names; progress lines go out through job progress. */
export default function imagePush(d: ImageJobDeps & { redis: Redis }) {
  return async (job: Job): Promise<JobOutcome<ImagePushResult>> => {
    const { imageId, ref, credentialKey, verify } = ImagePushJob.parse(job.data);
    return outcome(d.log, "image push", async () => {
      const { remote, client, progress } = await registrySession(d, job, ref, credentialKey);
      const r = await pushImage({ db: d.db, blobs: d.blobs }, client, imageId, remote, progress);
      d.log.info({ ref, ...r }, "image pushed");
      if (!verify) return r;
      const verified = await verifyPushed(client, remote.repository, remote.reference, { digest: r.digest, imageId });
      progress({ id: "", status: `${remote.reference}: verified: the registry holds ${verified}` });
      return { ...r, verified };
    });
  };
}
