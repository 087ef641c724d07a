/**
 * A project's bare repository on disk ($BERTH_HOME/git/<teamId>/<name>.git) and the few git
 * commands Berth runs on it. The team's id, not its name, names the folder: a renamed team keeps
 * its repositories. Git itself does the work; nothing here reads git's formats.
 */
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { config, FailedPrecondition, Unavailable } from "@berth/core";

/** GIT_PROJECT_ROOT for git http-backend. */
export const gitRoot = () => path.join(config().home, "git");

/** The repository's path relative to gitRoot() (what http-backend's PATH_INFO names). */
export const repoRelPath = (teamId: string, name: string) => `${teamId}/${name}.git`;
export const repoPath = (teamId: string, name: string) => path.join(gitRoot(), repoRelPath(teamId, name));

/**
 * The post-receive hook every Berth repository has: it hands the updated refs to the web process
 * that started this git (the variables are set per push by git/http.ts), and prints what comes back.
 * A push that web did not start (a `git push` into the directory by hand) deploys nothing.
 */
const POST_RECEIVE = `#!/bin/sh
# Installed by Berth: hand this push to Berth, which streams the preview's build back.
[ -n "$BERTH_HOOK_URL" ] || exit 0
exec "$BERTH_NODE" "$BERTH_HOOK_CLIENT"
`;

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git with the given arguments; resolves with its output whatever the exit status. */
export function git(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd: o.cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: "0", ...o.env }, stdio: [o.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (err) => reject(new Unavailable(`git ${args[0] ?? ""}: ${err.message} (is git installed?)`)));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (child.stdin) {
      // git may exit before reading all of it (a refused update): its exit status says why, not EPIPE
      child.stdin.on("error", () => {});
      child.stdin.end(o.input);
    }
  });
}

/** git, failing with what git said. */
export async function gitOk(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await git(args, o);
  if (r.code !== 0) throw new FailedPrecondition(`git ${args.join(" ")}: ${r.stderr.trim() || `exit status ${r.code}`}`);
  return r.stdout;
}

/** Makes the bare repository with Berth's hook (again, over an existing one: safe to re-run). */
export async function initRepo(dir: string, defaultBranch: string): Promise<void> {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  await gitOk(["init", "--bare", "--quiet", `--initial-branch=${defaultBranch}`, dir]);
  // http-backend refuses receive-pack without REMOTE_USER unless this is set; web authenticates first.
  await gitOk(["--git-dir", dir, "config", "http.receivepack", "true"]);
  await gitOk(["--git-dir", dir, "config", "receive.denyNonFastForwards", "false"]);
  // an outside repository's branches are fetched into refs/remotes/upstream/ first (upstream.ts): Berth's, not the clients'
  await gitOk(["--git-dir", dir, "config", "transfer.hideRefs", "refs/remotes/"]);
  const hook = path.join(dir, "hooks", "post-receive");
  await fs.mkdir(path.dirname(hook), { recursive: true });
  await fs.writeFile(hook, POST_RECEIVE, { mode: 0o755 });
}

/** The repository's branches: name → commit. */
export async function branchHeads(dir: string): Promise<Map<string, string>> {
  const out = await gitOk(["--git-dir", dir, "for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/heads/"]);
  const heads = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [name, sha] = line.split(" ");
    if (name && sha) heads.set(name, sha);
  }
  return heads;
}

/** Writes the files of commit `sha` into `dest` (git archive | tar -x). */
export async function exportTree(dir: string, sha: string, dest: string): Promise<void> {
  await fs.mkdir(dest, { recursive: true });
  const archive = spawn("git", ["--git-dir", dir, "archive", "--format=tar", sha], { stdio: ["ignore", "pipe", "pipe"] });
  const tar = spawn("tar", ["-x", "-C", dest], { stdio: ["pipe", "ignore", "pipe"] });
  let errors = "";
  archive.stderr.setEncoding("utf8").on("data", (d: string) => (errors += d));
  tar.stderr.setEncoding("utf8").on("data", (d: string) => (errors += d));
  archive.stdout.pipe(tar.stdin);
  const exited = (c: ReturnType<typeof spawn>) => new Promise<number>((resolve, reject) => c.on("error", reject).on("close", (code) => resolve(code ?? 1)));
  const [a, t] = await Promise.all([exited(archive), exited(tar)]);
  if (a !== 0 || t !== 0) throw new FailedPrecondition(`exporting commit ${sha} of ${dir}: ${errors.trim() || `git archive exited ${a}, tar ${t}`}`);
}
