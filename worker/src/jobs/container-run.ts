import type { Job } from "bullmq";
import { ContainerRunJob } from "@berth/core";
import type { ContainerManager } from "../containers/index.js";

/** `container.run`: starts the container; its exit is recorded by the manager, not by this job. */
export default function containerRun(manager: ContainerManager) {
  return async (job: Job): Promise<void> => {
    const { containerId, waitForAttach } = ContainerRunJob.parse(job.data);
    await manager.run(containerId, { waitForAttach });
  };
}
