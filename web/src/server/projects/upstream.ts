/**
 * Projects that follow an outside repository: `git fetch` from it into the Berth repository, then
 * every branch that changed goes through handlePush like a push would. Only http(s) upstreams are
 * fetched: a file:// or local path would read this host's disk (another team's repositories).
 */
import { FailedPrecondition, InvalidArgument } from "@berth/core";
import { handlePush, type PushDeps, type PushResult } from "./push.js";
import { branchHeads, git, gitOk, repoPath } from "./repo.js";

/** Branches made from pull/merge requests: not mirrored from (nor pruned by) the upstream's branches. */
const REQUEST_BRANCH = /^(pr|mr)-\d+$/;
const ZERO = "0000000000000000000000000000000000000000";

export function checkUpstreamUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgument(`--from ${url}: not a URL; give the repository's http(s) clone URL, such as https://github.com/acme/site.git`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new InvalidArgument(`--from ${url}: only http(s) clone URLs are fetched (not ${u.protocol.replace(":", "")})`);
  return u.toString();
}

/** Fetch settings: only http(s), never a prompt for credentials. */
const FETCH_CONFIG = ["-c", "protocol.allow=never", "-c", "protocol.http.allow=always", "-c", "protocol.https.allow=always", "-c", "credential.helper="];

export interface BranchChange {
  branch: string;
  oldSha: string;
  newSha: string;
  deleted: boolean;
  trusted: boolean;
}

interface ProjectRow {
  id: string;
  teamId: string;
  name: string;
  upstreamUrl: string | null;
}

async function fetch(dir: string, url: string, refspecs: string[], prune: boolean): Promise<void> {
  const r = await git([...FETCH_CONFIG, "--git-dir", dir, "fetch", "--quiet", "--no-tags", ...(prune ? ["--prune"] : []), url, ...refspecs]);
  if (r.code !== 0) throw new FailedPrecondition(`fetching ${url}: ${r.stderr.trim() || `git fetch exited ${r.code}`}`);
}

/** Mirrors the upstream's branches into the repository's; returns what changed. */
export async function fetchBranches(p: ProjectRow): Promise<BranchChange[]> {
  if (!p.upstreamUrl) throw new FailedPrecondition(`project ${p.name} follows no outside repository: push to it, or set one with berth project set-upstream`);
  const dir = repoPath(p.teamId, p.name);
  const before = await branchHeads(dir);
  await fetch(dir, p.upstreamUrl, ["+refs/heads/*:refs/remotes/upstream/*"], true);
  const remote = new Map<string, string>();
  const out = await gitOk(["--git-dir", dir, "for-each-ref", "--format=%(refname:strip=3) %(objectname)", "refs/remotes/upstream/"]);
  for (const line of out.split("\n")) {
    const [name, sha] = line.split(" ");
    if (name && sha && name !== "HEAD") remote.set(name, sha);
  }
  const changes: BranchChange[] = [];
  const updates: string[] = [];
  for (const [branch, sha] of remote) {
    const old = before.get(branch);
    if (old === sha) continue;
    updates.push(`update refs/heads/${branch} ${sha}`);
    changes.push({ branch, oldSha: old ?? ZERO, newSha: sha, deleted: false, trusted: true });
  }
  for (const [branch, sha] of before) {
    if (remote.has(branch) || REQUEST_BRANCH.test(branch)) continue;
    updates.push(`delete refs/heads/${branch} ${sha}`);
    changes.push({ branch, oldSha: sha, newSha: ZERO, deleted: true, trusted: true });
  }
  if (updates.length) {
    const r = await git(["--git-dir", dir, "update-ref", "--stdin"], { input: `${updates.join("\n")}\n` });
    if (r.code !== 0) throw new FailedPrecondition(`updating the branches of ${p.name}: ${r.stderr.trim()}`);
  }
  return changes;
}

/** Fetches one pull/merge request's head into its branch (`pr-N`). */
export async function fetchRequest(p: ProjectRow, ref: string, branch: string, trusted: boolean): Promise<BranchChange[]> {
  if (!p.upstreamUrl) throw new FailedPrecondition(`project ${p.name} follows no outside repository`);
  const dir = repoPath(p.teamId, p.name);
  const old = (await branchHeads(dir)).get(branch);
  await fetch(dir, p.upstreamUrl, [`+${ref}:refs/heads/${branch}`], false);
  const sha = (await branchHeads(dir)).get(branch);
  if (!sha || sha === old) return [];
  return [{ branch, oldSha: old ?? ZERO, newSha: sha, deleted: false, trusted }];
}

/** Removes a closed request's branch. */
export async function dropBranch(p: ProjectRow, branch: string): Promise<BranchChange[]> {
  const dir = repoPath(p.teamId, p.name);
  const old = (await branchHeads(dir)).get(branch);
  if (!old) return [];
  await gitOk(["--git-dir", dir, "update-ref", "-d", `refs/heads/${branch}`, old]);
  return [{ branch, oldSha: old, newSha: ZERO, deleted: true, trusted: false }];
}

/** Runs handlePush for each change, one after another; each line goes to `onLine` prefixed with its branch. */
export async function deployChanges(s: PushDeps, p: ProjectRow, changes: BranchChange[], onLine: (line: string) => void): Promise<{ branch: string; result: PushResult }[]> {
  const results: { branch: string; result: PushResult }[] = [];
  for (const c of changes) {
    const result = await handlePush(s, { teamId: p.teamId, project: p.name, branch: c.branch, oldSha: c.oldSha, newSha: c.newSha, deleted: c.deleted, trusted: c.trusted, onLine: (l) => onLine(`[${c.branch}] ${l}`) });
    results.push({ branch: c.branch, result });
  }
  return results;
}
