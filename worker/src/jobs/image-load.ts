import type { Job } from "bullmq";
import { ImageLoadJob, type ImageLoadResult, type JobOutcome } from "@berth/core";
import { loadArchive } from "../images/index.js";
import { buildsFile, type ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `image.load`: a docker-archive or OCI-layout tar (uploaded to builds/ by web) into the store; per-layer progress as pull reports it. */
export default function imageLoad(d: ImageJobDeps) {
  return async (job: Job): Promise<JobOutcome<ImageLoadResult>> => {
    const { archive, teamId, siteAdmin } = ImageLoadJob.parse(job.data);
    return outcome(d.log, "image load", async () => {
      const images = await loadArchive({ db: d.db, blobs: d.blobs, log: d.log, teamId, siteAdmin }, buildsFile(d, archive), (p) => void job.updateProgress({ ...p }).catch(() => undefined));
      d.log.info({ images }, "images loaded");
      return { images };
    });
  };
}
