import path from "node:path";
import type { Job } from "bullmq";
import { ContainerDiffJob, NotFound, type ContainerChange, type JobOutcome } from "@berth/core";
import { containerChanges, lowerdirsOf } from "../container-fs/index.js";
import type { VolumeJobDeps } from "./volume-deps.js";
import { outcome } from "./outcome.js";

/** `container.diff`: the container's changes (A/C/D) read from its upper dir against its image's layers. */
export default function containerDiff(d: VolumeJobDeps) {
  return async (job: Job): Promise<JobOutcome<ContainerChange[]>> => {
    const { containerId } = ContainerDiffJob.parse(job.data);
    return outcome(d.log, "container diff", async () => {
      const row = await d.db.container.findUnique({ where: { id: containerId }, select: { id: true, imageId: true } });
      if (!row) throw new NotFound(`No such container: ${containerId}`);
      return containerChanges(path.join(d.containersDir, row.id, "upper"), await lowerdirsOf(d, row.imageId));
    });
  };
}
