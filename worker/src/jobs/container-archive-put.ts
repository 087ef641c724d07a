import type { Job } from "bullmq";
import { ContainerArchivePutJob, type JobOutcome } from "@berth/core";
import { archivePut, withContainerRoot } from "../container-fs/index.js";
import { buildsFile } from "./deps.js";
import type { VolumeJobDeps } from "./volume-deps.js";
import { outcome } from "./outcome.js";

/** `container.archive.put` (`cp … CONTAINER:DEST`): builds/<archive> extracted inside the container's root. */
export default function containerArchivePut(d: VolumeJobDeps) {
  return async (job: Job): Promise<JobOutcome<{ ok: true }>> => {
    const { containerId, path, archive, source } = ContainerArchivePutJob.parse(job.data);
    return outcome(d.log, "container archive put", async () => {
      await withContainerRoot(d, containerId, (root) => archivePut(root, path, buildsFile(d, archive), source));
      return { ok: true as const };
    });
  };
}
