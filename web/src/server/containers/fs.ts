import { JOB_VOLUME, type ContainerChange, type ContainerDiffJob, type ContainerListJob, type ContainerListResult } from "@berth/core";
import type { Services } from "../services.js";
import { runHostJob } from "../images/jobs.js";
import { resolveContainer } from "./resolve.js";

/** `diff`: the container's changes as Docker's API lists them (Kind 0 C, 1 A, 2 D). */
export async function containerChanges(s: Services, teamId: string, ref: string): Promise<ContainerChange[]> {
  const c = await resolveContainer(s.db, teamId, ref);
  const payload: ContainerDiffJob = { containerId: c.id };
  return runHostJob<ContainerChange[]>(s, JOB_VOLUME.containerDiff, payload, { hostId: c.hostId, timeoutMs: 600_000 });
}

/** One directory inside the container (the dashboard's file browser), read by its host. */
export async function containerListDir(s: Services, teamId: string, ref: string, dir: string): Promise<ContainerListResult> {
  const c = await resolveContainer(s.db, teamId, ref);
  const payload: ContainerListJob = { containerId: c.id, path: dir };
  return runHostJob<ContainerListResult>(s, JOB_VOLUME.containerList, payload, { hostId: c.hostId, timeoutMs: 60_000 });
}
