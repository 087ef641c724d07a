import type { Job } from "bullmq";
import { ImageSaveJob, type ImageSaveResult, type JobOutcome } from "@berth/core";
import { saveImages } from "../images/index.js";
import { buildsFile, type ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `image.save`: writes images as a docker-archive or OCI-layout tar to builds/, for web to stream out. */
export default function imageSave(d: ImageJobDeps) {
  return async (job: Job): Promise<JobOutcome<ImageSaveResult>> => {
    const { images, format, output } = ImageSaveJob.parse(job.data);
    return outcome(d.log, "image save", async () => ({ size: await saveImages(d.db, d.blobs, images, format, buildsFile(d, output)) }));
  };
}
