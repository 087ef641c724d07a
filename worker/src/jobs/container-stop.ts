import type { Job } from "bullmq";
import { ContainerStopJob, type ContainerStopResult, type JobOutcome, type Logger } from "@berth/core";
import type { ContainerManager } from "../containers/index.js";
import { outcome } from "./outcome.js";

/** `container.stop`: SIGTERM (or the given signal), SIGKILL after the timeout; returns once the exit is recorded. */
export default function containerStop(manager: ContainerManager, log: Logger) {
  return async (job: Job): Promise<JobOutcome<ContainerStopResult>> => {
    const { containerId, timeoutSec, signal } = ContainerStopJob.parse(job.data);
    return outcome(log, "container stop", async () => ({ stopped: await manager.stop(containerId, timeoutSec, signal) }));
  };
}
