import type { Job } from "bullmq";
import { TeamVolumeBytesJob, type JobOutcome, type TeamVolumeBytesResult } from "@berth/core";
import { du } from "../images/gc.js";
import type { VolumeJobDeps } from "./volume-deps.js";
import { outcome } from "./outcome.js";

/** `team.volumes.bytes`: what a team's volumes on this host hold, for its disk quota. */
export default function teamVolumeBytes(d: VolumeJobDeps) {
  return async (job: Job): Promise<JobOutcome<TeamVolumeBytesResult>> => {
    const { teamId } = TeamVolumeBytesJob.parse(job.data);
    return outcome(d.log, "team volume bytes", async () => {
      const rows = await d.db.volume.findMany({ where: { hostId: d.hostId, teamId }, select: { name: true } });
      // Volumes are kept by id on disk; dataDirOf resolves the team's name to it.
      let bytes = 0;
      for (const r of rows) {
        const dir = await d.volumes.dataDirOf(teamId, r.name);
        if (dir) bytes += await du(dir);
      }
      return { volumes: rows.length, bytes };
    });
  };
}
