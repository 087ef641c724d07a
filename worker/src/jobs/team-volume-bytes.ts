import type { Job } from "bullmq";
import { TeamVolumeBytesJob, type JobOutcome, type TeamVolumeBytesResult } from "@berth/core";
import type { VolumeJobDeps } from "./volume-deps.js";
import { outcome } from "./outcome.js";

/** `team.volumes.bytes`: what a team's volumes on this host hold, for its disk quota. */
export default function teamVolumeBytes(d: VolumeJobDeps) {
  return async (job: Job): Promise<JobOutcome<TeamVolumeBytesResult>> => {
    const { teamId } = TeamVolumeBytesJob.parse(job.data);
    // Each volume's own data once: a snapshot's upper, and a frozen layer shared by several once.
    return outcome(d.log, "team volume bytes", () => d.volumes.teamBytes(teamId));
  };
}
