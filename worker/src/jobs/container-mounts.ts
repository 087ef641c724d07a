import type { Job } from "bullmq";
import { MountsPrepareJob, type JobOutcome, type MountsPrepareResult } from "@berth/core";
import { loadImage } from "../images/index.js";
import { prepareMounts } from "../volumes/index.js";
import { confineBinds } from "../containers/host-paths.js";
import type { VolumeJobDeps } from "./volume-deps.js";
import { outcome } from "./outcome.js";

/** `container.mounts.prepare` (before the container's row exists): image VOLUMEs, bind sources checked, volumes made. */
export default function containerMounts(d: VolumeJobDeps) {
  return async (job: Job): Promise<JobOutcome<MountsPrepareResult>> => {
    const { imageId, mounts, teamId, hostPaths } = MountsPrepareJob.parse(job.data);
    return outcome(d.log, "container mounts", async () => {
      const image = await loadImage(d.db, d.blobs, imageId);
      const imageVolumes = Object.keys((image.config.config as { Volumes?: object } | undefined)?.Volumes ?? {}).length > 0;
      // Host paths first: a refused bind leaves no volume or directory behind.
      const allowed = hostPaths ? await confineBinds(mounts, hostPaths) : mounts;
      return { mounts: await prepareMounts(d.volumes, image.config, allowed, teamId), imageVolumes };
    });
  };
}
