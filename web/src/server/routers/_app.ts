import { router } from "../trpc.js";
import { authRouter } from "./auth.js";
import { imageRouter } from "./image.js";
import { containerRouter } from "./container.js";
import { repoRouter } from "./repo.js";
import { userRouter } from "./user.js";
import { tokenRouter } from "./token.js";
import { searchRouter } from "./search.js";
import { buildRouter } from "../builds/router.js";
import { networkRouter } from "./network.js";
import { volumeRouter } from "./volume.js";
import { teamRouter } from "./team.js";
import { auditRouter } from "./audit.js";
import { systemRouter } from "./system.js";
import { statsRouter } from "../stats/router.js";
import { logsRouter } from "../logs/router.js";
import { hostRouter } from "./host.js";
import { eventRouter } from "./event.js";
import { stackRouter } from "./stack.js";
import { portLinkRouter } from "./portlink.js";
import { projectRouter } from "./project.js";
import { environmentsRouter } from "./environments.js";
import { releasesRouter } from "./releases.js";

export const appRouter = router({
  auth: authRouter,
  image: imageRouter,
  container: containerRouter,
  stack: stackRouter,
  repo: repoRouter,
  user: userRouter,
  token: tokenRouter,
  search: searchRouter,
  build: buildRouter,
  network: networkRouter,
  volume: volumeRouter,
  team: teamRouter,
  audit: auditRouter,
  system: systemRouter,
  stats: statsRouter,
  logs: logsRouter,
  host: hostRouter,
  event: eventRouter,
  portLink: portLinkRouter,
  project: projectRouter,
  environments: environmentsRouter,
  releases: releasesRouter,
});

export type AppRouter = typeof appRouter;
export type { ContainerSummary } from "../containers/summary.js";
export type { ImageSummary } from "./image.js";
export type { RepoSummary, RepoDetail, RepoTagSummary } from "./repo.js";
export type { UserSummary } from "./user.js";
export type { TokenSummary } from "./token.js";
export type { TeamSummary, MemberSummary, InvitationSummary } from "./team.js";
export type { HostSummary } from "./host.js";
export type { VolumeUsage } from "./volume.js";
export type { BuildSummary, BuildStatus } from "../builds/router.js";
export type { AuditRow } from "./audit.js";
export type { PortLinkRow } from "./portlink.js";
export type { ProjectSummary, BranchSummary } from "./project.js";
export type { EnvironmentSummary, ConfigEntry } from "./environments.js";
export type { ReleaseSummary, ReleaseDetail, ReleaseDiff, ReleaseRunResult } from "./releases.js";
