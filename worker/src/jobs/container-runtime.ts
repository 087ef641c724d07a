import type { Job } from "bullmq";
import {
  ContainerPauseJob,
  ContainerStatsJob,
  ContainerTopJob,
  FailedPrecondition,
  type ContainerStatsSample,
  type ContainerTopResult,
  type JobOutcome,
  type Logger,
} from "@berth/core";
import type { ContainerManager } from "../containers/index.js";
import { sampleStats } from "../containers/stats.js";
import { defaultTop, pidsInNamespaceOf, psTop } from "../containers/top.js";
import { outcome } from "./outcome.js";

/** `container.pause`: freezes or thaws a running container. */
export function containerPause(manager: ContainerManager, log: Logger) {
  return async (job: Job): Promise<JobOutcome<{ paused: boolean }>> => {
    const { containerId, paused } = ContainerPauseJob.parse(job.data);
    return outcome(log, paused ? "container pause" : "container unpause", async () => {
      if (paused) await manager.pause(containerId);
      else await manager.unpause(containerId);
      return { paused };
    });
  };
}

/** `container.top`: the processes of a running container. */
export function containerTop(manager: ContainerManager, log: Logger) {
  return async (job: Job): Promise<JobOutcome<ContainerTopResult>> => {
    const { containerId, psArgs } = ContainerTopJob.parse(job.data);
    return outcome(log, "container top", async () => {
      const pid = manager.pidOf(containerId);
      if (pid === undefined) throw new FailedPrecondition(`Container ${containerId} is not running`);
      const pids = await pidsInNamespaceOf(pid);
      return psArgs.length ? psTop(pids, psArgs) : defaultTop(pids);
    });
  };
}

/** `container.stats`: one usage sample per container. */
export function containerStats(manager: ContainerManager, log: Logger) {
  return async (job: Job): Promise<JobOutcome<ContainerStatsSample[]>> => {
    const { containerIds } = ContainerStatsJob.parse(job.data);
    return outcome(log, "container stats", () => Promise.all(containerIds.map((id) => sampleStats(id, manager.cgroupPath(id), manager.pidOf(id)))));
  };
}
