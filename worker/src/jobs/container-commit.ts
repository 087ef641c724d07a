import path from "node:path";
import type { Job } from "bullmq";
import { ContainerCommitJob, NotFound, parseImageRef, type ContainerCommitResult, type JobOutcome } from "@berth/core";
import { commitContainer } from "../images/commit.js";
import type { ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `container.commit`: the container's upper dir → a new layer over its image, tagged. */
export default function containerCommit(d: ImageJobDeps) {
  return async (job: Job): Promise<JobOutcome<ContainerCommitResult>> => {
    const { containerId, ref, message, author, changes, teamId } = ContainerCommitJob.parse(job.data);
    return outcome(d.log, "container commit", async () => {
      const row = await d.db.container.findUnique({ where: { id: containerId } });
      if (!row) throw new NotFound(`No such container: ${containerId}`);
      const tag = ref ? (({ name, tag }) => `${name}:${tag}`)(parseImageRef(ref)) : undefined;
      const started = Date.now();
      const { id } = await commitContainer(
        d,
        { imageId: row.imageId, upperDir: path.join(d.containersDir, row.id, "upper"), label: row.name },
        { ref: tag, message, author, changes, teamId },
      );
      d.log.info({ id, ref: tag, container: row.id, ms: Date.now() - started }, "container committed");
      return { id };
    });
  };
}
