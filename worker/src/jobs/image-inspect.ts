import type { Job } from "bullmq";
import { ImageInspectJob, NotFound, type ImageInspectResult, type JobOutcome } from "@berth/core";
import { loadImage } from "../images/index.js";
import type { ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `image.inspect`: an image's manifest and config, read from this host's store. */
export default function imageInspect(d: ImageJobDeps) {
  return async (job: Job): Promise<JobOutcome<ImageInspectResult>> => {
    const { imageId } = ImageInspectJob.parse(job.data);
    return outcome(d.log, "image inspect", async () => {
      const row = await d.db.image.findUnique({ where: { id: imageId } });
      if (!row) throw new NotFound(`No such image: ${imageId}`);
      const img = await loadImage(d.db, d.blobs, imageId);
      // The row's BigInt as a number (job results travel as JSON; exact up to 2^53 bytes).
      return { id: img.id, manifestDigest: row.manifestDigest, manifest: img.manifest, config: img.config, size: Number(row.size), layerSizes: img.manifest.layers.map((l) => l.size) };
    });
  };
}
