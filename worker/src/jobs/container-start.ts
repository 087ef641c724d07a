import type { Job } from "bullmq";
import { ContainerStartJob, type JobOutcome, type Logger } from "@berth/core";
import type { ContainerManager } from "../containers/index.js";
import { outcome } from "./outcome.js";

/** `container.start`: (re)starts a created or exited container; returns once it runs (or is recorded as failed to start). */
export default function containerStart(manager: ContainerManager, log: Logger) {
  return async (job: Job): Promise<JobOutcome<{ started: true }>> => {
    const { containerId } = ContainerStartJob.parse(job.data);
    return outcome(log, "container start", async () => {
      await manager.start(containerId);
      return { started: true as const };
    });
  };
}
