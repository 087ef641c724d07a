import type { Job } from "bullmq";
import { ImageGcJob, type ImageGcResult, type JobOutcome } from "@berth/core";
import { collectGarbage } from "../images/index.js";
import type { ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `image.gc`: mark and sweep of this host's blobs and snapshots. */
export default function imageGc(d: ImageJobDeps) {
  return async (job: Job): Promise<JobOutcome<ImageGcResult>> => {
    const { dryRun } = ImageGcJob.parse(job.data);
    return outcome(d.log, "image gc", () => collectGarbage(d, { dryRun }));
  };
}
