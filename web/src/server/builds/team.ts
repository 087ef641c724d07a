import { buildTeamKey, BUILD_TEAM_TTL_SECONDS, NotFound } from "@berth/core";
import type { Services } from "../services.js";
import { authorize, type Actor } from "../policy/index.js";

/** Records whose build `buildId` is, before it is queued (so no reader can come first). */
export async function recordBuildTeam(s: Services, buildId: string, teamId: string): Promise<void> {
  await s.redis.set(buildTeamKey(buildId), teamId, "EX", BUILD_TEAM_TTL_SECONDS);
}

/**
 * May `actor` read build `buildId`'s output? Only its own team's build: another team's (or
 * one with no recorded team) answers exactly as a build that does not exist.
 */
export async function authorizeBuildRead(s: Services, actor: Actor, buildId: string): Promise<void> {
  const notFound = `No such build: ${buildId} (or its output has expired)`;
  const teamId = await s.redis.get(buildTeamKey(buildId));
  if (!teamId) throw new NotFound(notFound);
  authorize(actor, "build.read", { teamId, notFound });
}
