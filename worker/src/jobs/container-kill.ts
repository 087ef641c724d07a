import type { Job } from "bullmq";
import { BerthError, ContainerKillJob, type JobOutcome } from "@berth/core";
import type { ContainerManager } from "../containers/index.js";

/** `container.kill`: sends a signal to a running container's PID 1 (errors as values, for web's wait). */
export default function containerKill(manager: ContainerManager) {
  return async (job: Job): Promise<JobOutcome<{ signal: number }>> => {
    const { containerId, signal } = ContainerKillJob.parse(job.data);
    try {
      await manager.kill(containerId, signal);
      return { ok: true, value: { signal } };
    } catch (e) {
      if (e instanceof BerthError) return { ok: false, kind: e.kind, message: e.message };
      throw e;
    }
  };
}
