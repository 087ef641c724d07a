import type { Job } from "bullmq";
import { ContainerKillJob } from "@berth/core";
import type { ContainerManager } from "../containers/index.js";

/** `container.kill`: sends a signal to a running container's PID 1. */
export default function containerKill(manager: ContainerManager) {
  return async (job: Job): Promise<void> => {
    const { containerId, signal } = ContainerKillJob.parse(job.data);
    manager.kill(containerId, signal);
  };
}
