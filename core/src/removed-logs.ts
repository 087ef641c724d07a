import { z } from "zod";

/**
 * A removed container's logs stay on its host (`$BERTH_HOME/removed-logs/<id>/`) until the
 * retention (BERTH_LOG_RETENTION_HOURS) runs out. Redis holds the index web lists and reads
 * through: one hash of records by id, and per team a sorted set of ids by removal time.
 */
export const REMOVED_LOGS_KEY = "logs:removed";
export const removedLogsTeamKey = (teamId: string) => `logs:removed:team:${teamId}`;

export const RemovedLogs = z.object({
  id: z.string().regex(/^[0-9a-f]{64}$/),
  name: z.string(),
  image: z.string(),
  teamId: z.string(),
  hostId: z.string(),
  createdAt: z.string(),
  /** ms since the epoch */
  removedAt: z.number(),
  exitCode: z.number().int().nullable(),
});
export type RemovedLogs = z.infer<typeof RemovedLogs>;
