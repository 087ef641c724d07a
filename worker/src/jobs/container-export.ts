import path from "node:path";
import type { Job } from "bullmq";
import { ContainerExportJob, NotFound, type ContainerExportResult, type JobOutcome } from "@berth/core";
import { exportMerged, loadImage } from "../images/index.js";
import { buildsFile, type ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `container.export`: the container's merged root (its upper dir over its image's snapshots) as a tar in builds/. */
export default function containerExport(d: ImageJobDeps) {
  return async (job: Job): Promise<JobOutcome<ContainerExportResult>> => {
    const { containerId, output } = ContainerExportJob.parse(job.data);
    return outcome(d.log, "container export", async () => {
      const row = await d.db.container.findUnique({ where: { id: containerId } });
      if (!row) throw new NotFound(`No such container: ${containerId}`);
      const image = await loadImage(d.db, d.blobs, row.imageId);
      const lowerdirs = await d.snapshots.prepare(image.manifest.layers, image.config.rootfs.diff_ids, d.blobs);
      const size = await exportMerged([path.join(d.containersDir, row.id, "upper"), ...lowerdirs], buildsFile(d, output));
      return { size };
    });
  };
}
