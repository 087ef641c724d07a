import type { Job } from "bullmq";
import { ImageImportJob, parseImageRef, type ImageImportResult, type JobOutcome } from "@berth/core";
import { importRootfs } from "../images/index.js";
import { buildsFile, type ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `image.import`: a rootfs tar in builds/ → a one-layer image. */
export default function imageImport(d: ImageJobDeps) {
  return async (job: Job): Promise<JobOutcome<ImageImportResult>> => {
    const { archive, ref, message, changes, teamId } = ImageImportJob.parse(job.data);
    return outcome(d.log, "image import", async () => {
      const tag = ref ? (({ name, tag }) => `${name}:${tag}`)(parseImageRef(ref)) : undefined;
      const { id } = await importRootfs(d, buildsFile(d, archive), { ref: tag, message, changes, teamId });
      d.log.info({ id, ref: tag }, "image imported");
      return { id };
    });
  };
}
