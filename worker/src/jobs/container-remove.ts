import type { Job } from "bullmq";
import { ContainerRemoveJob, type JobOutcome, type Logger } from "@berth/core";
import type { ContainerManager } from "../containers/index.js";
import { outcome } from "./outcome.js";

/** `container.remove`: kills a running container when forced, waits for its exit, deletes its directory (web deletes the row). */
export default function containerRemove(manager: ContainerManager, log: Logger) {
  return async (job: Job): Promise<JobOutcome<{ removed: true }>> => {
    const { containerId, force } = ContainerRemoveJob.parse(job.data);
    return outcome(log, "container remove", async () => {
      await manager.remove(containerId, force);
      return { removed: true as const };
    });
  };
}
