/**
 * The seam between a push and the environments that follow its branch (staging follows the
 * default branch): handlePush (push.ts) calls the follower set here at start-up (server.ts) once
 * the branch's preview is live, while the commit's files are still on disk. With none set, a
 * push deploys its preview only.
 */

export interface BranchFollowInput {
  teamId: string;
  projectId: string;
  project: string;
  defaultBranch: string;
  branch: string;
  sha: string;
  /** The commit's tree (removed after the follower returns). */
  dir: string;
  /** The preview's stack, whose containers run the images just built. */
  stackName: string | undefined;
  /** Who pushed, when known (a git push over HTTP). */
  pushedBy?: { id: string; name: string } | undefined;
  onLine: (line: string) => void;
}

/** Deploys the commit to every environment following its branch; reports failures as lines, never throws for them. */
export type BranchFollower = (input: BranchFollowInput) => Promise<void>;

let follower: BranchFollower | null = null;

export function setBranchFollower(f: BranchFollower | null): void {
  follower = f;
}

export function branchFollower(): BranchFollower | null {
  return follower;
}
