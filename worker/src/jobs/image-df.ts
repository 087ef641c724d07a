import type { Job } from "bullmq";
import { ImageDfJob, type ImageDfResult, type JobOutcome } from "@berth/core";
import { diskUsage } from "../images/index.js";
import type { ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `image.df`: disk usage of images, containers and the store on this host. */
export default function imageDf(d: ImageJobDeps) {
  return async (job: Job): Promise<JobOutcome<ImageDfResult>> => {
    const { teamId } = ImageDfJob.parse(job.data);
    return outcome(d.log, "disk usage", () => diskUsage(d, teamId));
  };
}
