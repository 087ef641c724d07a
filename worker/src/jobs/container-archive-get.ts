import type { Job } from "bullmq";
import { ContainerArchiveGetJob, type ContainerArchiveGetResult, type JobOutcome } from "@berth/core";
import { archiveGet, withContainerRoot } from "../container-fs/index.js";
import { buildsFile } from "./deps.js";
import type { VolumeJobDeps } from "./volume-deps.js";
import { outcome } from "./outcome.js";

/** `container.archive.get` (`cp CONTAINER:SRC …`): SRC as a tar in builds/, resolved inside the container's root. */
export default function containerArchiveGet(d: VolumeJobDeps) {
  return async (job: Job): Promise<JobOutcome<ContainerArchiveGetResult>> => {
    const { containerId, path, output } = ContainerArchiveGetJob.parse(job.data);
    return outcome(d.log, "container archive get", () => withContainerRoot(d, containerId, (root) => archiveGet(root, path, buildsFile(d, output), containerId)));
  };
}
