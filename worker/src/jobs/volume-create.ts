import type { Job } from "bullmq";
import { VolumeCreateJob, type JobOutcome, type VolumeInfo } from "@berth/core";
import type { VolumeJobDeps } from "./volume-deps.js";
import { outcome } from "./outcome.js";

/** `volume.create`: the row and its `_data` directory (an existing name is returned as is, as docker); `from`: a snapshot. */
export default function volumeCreate(d: VolumeJobDeps) {
  return async (job: Job): Promise<JobOutcome<VolumeInfo>> => {
    const { name, labels, anonymous, teamId, from } = VolumeCreateJob.parse(job.data);
    if (from) return outcome(d.log, "volume snapshot", () => d.volumes.snapshot(teamId, from, name, labels));
    return outcome(d.log, "volume create", () => d.volumes.create(name, labels, anonymous, teamId));
  };
}
