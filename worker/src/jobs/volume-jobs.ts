import type { Job } from "bullmq";
import { JOB_VOLUME } from "@berth/core";
import containerArchiveGet from "./container-archive-get.js";
import containerArchivePut from "./container-archive-put.js";
import containerDiff from "./container-diff.js";
import containerList from "./container-list.js";
import containerMounts from "./container-mounts.js";
import volumeCreate from "./volume-create.js";
import volumePrune from "./volume-prune.js";
import volumeRemove from "./volume-remove.js";
import volumeUsage from "./volume-usage.js";
import type { VolumeJobDeps } from "./volume-deps.js";

/** The host-queue handlers for volumes, mounts, cp and diff, for main.ts to spread into its table. */
export function volumeHandlers(d: VolumeJobDeps): Record<string, (job: Job) => Promise<unknown>> {
  return {
    [JOB_VOLUME.volumeCreate]: volumeCreate(d),
    [JOB_VOLUME.volumeRemove]: volumeRemove(d),
    [JOB_VOLUME.volumePrune]: volumePrune(d),
    [JOB_VOLUME.volumeUsage]: volumeUsage(d),
    [JOB_VOLUME.mountsPrepare]: containerMounts(d),
    [JOB_VOLUME.containerArchiveGet]: containerArchiveGet(d),
    [JOB_VOLUME.containerArchivePut]: containerArchivePut(d),
    [JOB_VOLUME.containerDiff]: containerDiff(d),
    [JOB_VOLUME.containerList]: containerList(d),
  };
}
