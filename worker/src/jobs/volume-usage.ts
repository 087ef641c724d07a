import type { Job } from "bullmq";
import { VolumeUsageJob, type JobOutcome, type VolumeUsageResult } from "@berth/core";
import type { VolumeJobDeps } from "./volume-deps.js";
import { outcome } from "./outcome.js";

/** `volume.usage`: bytes held by each named volume of this host. */
export default function volumeUsage(d: VolumeJobDeps) {
  return async (job: Job): Promise<JobOutcome<VolumeUsageResult>> => {
    const { teamId, names } = VolumeUsageJob.parse(job.data);
    return outcome(d.log, "volume usage", async () => ({ sizes: await d.volumes.sizes(teamId, names) }));
  };
}
