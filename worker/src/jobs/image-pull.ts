import type { Job } from "bullmq";
import { ImagePullJob, type ImagePullResult, type JobOutcome } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import { pullImage } from "../registry-client/index.js";
import { registrySession } from "./registry-session.js";
import type { ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";
import { assertTagsMovable } from "../images/tags.js";

/** `image.pull`: an image from the registry its ref names into the store, tagged under that ref. */
export default function imagePull(d: ImageJobDeps & { redis: Redis }) {
  return async (job: Job): Promise<JobOutcome<ImagePullResult>> => {
    const { ref, credentialKey, teamId, siteAdmin } = ImagePullJob.parse(job.data);
    return outcome(d.log, "image pull", async () => {
      const { remote, client, progress } = await registrySession(d, job, ref, credentialKey);
      // Refused before anything is fetched (and checked again as the tag is written).
      if (remote.localRef) await assertTagsMovable(d.db, [remote.localRef], { teamId, siteAdmin });
      const r = await pullImage({ db: d.db, blobs: d.blobs, teamId, siteAdmin }, client, remote, remote.localRef, progress);
      d.log.info({ ref, ...r }, "image pulled");
      return { ...r, ref: remote.localRef ?? `${remote.registry}/${remote.repository}@${r.digest}` };
    });
  };
}
