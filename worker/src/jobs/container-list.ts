import type { Job } from "bullmq";
import { ContainerListJob, type ContainerListResult, type JobOutcome } from "@berth/core";
import { listDir, withContainerRoot } from "../container-fs/index.js";
import type { VolumeJobDeps } from "./volume-deps.js";
import { outcome } from "./outcome.js";

/** `container.list-dir`: one directory inside the container's root (the dashboard's file browser). */
export default function containerList(d: VolumeJobDeps) {
  return async (job: Job): Promise<JobOutcome<ContainerListResult>> => {
    const { containerId, path } = ContainerListJob.parse(job.data);
    return outcome(d.log, "container list dir", () => withContainerRoot(d, containerId, (root) => listDir(root, path, containerId)));
  };
}
