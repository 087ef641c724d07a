/**
 * The one seam between a push and what runs it: handlePush (push.ts) records the branch and
 * exports the commit's tree, then hands it to the preview engine set here at start-up (server.ts).
 * With none set, a push is recorded and says that previews are not enabled.
 */
import { pathToFileURL } from "node:url";
import { InvalidArgument } from "@berth/core";

/** What the deployer is asked to run: one commit of one branch, its files already on disk. */
export interface PreviewDeployInput {
  teamId: string;
  teamName: string;
  projectId: string;
  project: string;
  branch: string;
  sha: string;
  /** The commit's tree (`git archive`), removed after the deployer returns: copy what outlives the call. */
  dir: string;
  /** False for an untrusted source (a fork's pull request): give it none of the project's secrets. */
  trusted: boolean;
  /** One line of output: the pusher sees it live as `remote: …`, and the branch's log keeps it. */
  onLine: (line: string) => void;
  /** Mark the branch as building or deploying (it starts as building). */
  onPhase: (phase: "building" | "deploying") => void;
}

/** Resolves with the preview's URL once it serves this commit; a rejection's message is the failing step and why. */
export type PreviewDeployer = (input: PreviewDeployInput) => Promise<{ url: string; stackName?: string }>;

export interface PreviewRemoveInput {
  teamId: string;
  teamName: string;
  projectId: string;
  project: string;
  branch: string;
  onLine: (line: string) => void;
}

/** Removes a branch's preview (its containers, volumes and routes); resolves when gone (also when there was none). */
export type PreviewRemover = (input: PreviewRemoveInput) => Promise<void>;

export interface PreviewEngine {
  deploy: PreviewDeployer;
  remove: PreviewRemover;
}

let engine: PreviewEngine | null = null;

/** Sets (or, with null, clears) the engine every later push uses. */
export function setPreviewEngine(e: PreviewEngine | null): void {
  engine = e;
}

export function previewEngine(): PreviewEngine | null {
  return engine;
}

/** Loads an engine from a module exporting `deploy` and `remove` (BERTH_PREVIEW_DEPLOYER). */
export async function loadPreviewEngine(modulePath: string): Promise<PreviewEngine> {
  const m = (await import(pathToFileURL(modulePath).href)) as Partial<PreviewEngine>;
  if (typeof m.deploy !== "function" || typeof m.remove !== "function") throw new InvalidArgument(`BERTH_PREVIEW_DEPLOYER ${modulePath}: the module must export the functions deploy and remove`);
  return { deploy: m.deploy, remove: m.remove };
}
