import type { PreviewEngine } from "../projects/deployer.js";
import type { Services } from "../services.js";
import { deployPreview, removePreview } from "./deploy.js";

/** The preview engine a push hands its commit to (projects/deployer.ts's seam): builds and deploys on this Berth. */
export function previewEngineFor(services: Services): PreviewEngine {
  return {
    deploy: async (i) => {
      const out = await deployPreview({ services }, { teamId: i.teamId, teamName: i.teamName, project: i.project, branch: i.branch, sha: i.sha, sourceDir: i.dir, trusted: i.trusted, onLine: i.onLine, onPhase: i.onPhase });
      return { url: out.url, stackName: out.stackName };
    },
    remove: async (i) => {
      await removePreview({ services }, { teamId: i.teamId, teamName: i.teamName, project: i.project, branch: i.branch, onLine: i.onLine });
    },
  };
}
