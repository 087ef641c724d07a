import type { Job } from "bullmq";
import { VolumeRemoveJob, type JobOutcome, type VolumeRemoveResult } from "@berth/core";
import type { VolumeJobDeps } from "./volume-deps.js";
import { outcome } from "./outcome.js";

/** `volume.remove`: each name in turn; one in use is refused with docker's message, the others go on. */
export default function volumeRemove(d: VolumeJobDeps) {
  return async (job: Job): Promise<JobOutcome<VolumeRemoveResult>> => {
    const { teamId, names, force, quiet } = VolumeRemoveJob.parse(job.data);
    return outcome(d.log, "volume remove", () => d.volumes.removeMany(teamId, names, force, quiet));
  };
}
