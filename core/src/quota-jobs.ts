import { z } from "zod";

// ---- Team quotas measured on a host -------------------------------------------------------------

export const JOB_QUOTA = {
  /** The bytes a team's volumes on this host hold (their _data directories). */
  teamVolumeBytes: "team.volumes.bytes",
} as const;

export const TeamVolumeBytesJob = z.object({ teamId: z.string().min(1).max(64) });
export type TeamVolumeBytesJob = z.infer<typeof TeamVolumeBytesJob>;
export interface TeamVolumeBytesResult {
  volumes: number;
  bytes: number;
}
