import type { Job } from "bullmq";
import { VolumePruneJob, type JobOutcome, type VolumePruneResult } from "@berth/core";
import type { VolumeJobDeps } from "./volume-deps.js";
import { outcome } from "./outcome.js";

/** `volume.prune`: the team's unused anonymous volumes, or (`all`) every unused one of the team's. */
export default function volumePrune(d: VolumeJobDeps) {
  return async (job: Job): Promise<JobOutcome<VolumePruneResult>> => {
    const { teamId, all } = VolumePruneJob.parse(job.data);
    return outcome(d.log, "volume prune", () => d.volumes.prune(teamId, all));
  };
}
