import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import { FailedPrecondition, INLINE_CONTEXT_MAX, NotFound, type BuildJob } from "@berth/core";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { assertTagsWritable, tagRef } from "../images/manage.js";
import { checkDiskQuota } from "../teams/disk.js";
import { receiveSmallUpload } from "../uploads.js";
import { findProject } from "../projects/service.js";
import { branchHeads, repoPath } from "../projects/repo.js";
import { queueBuild } from "./http.js";

export interface ProjectBuildInput {
  project: string;
  branch: string;
  tags: string[];
  dockerfile: string;
  buildArgs: Record<string, string>;
  noCache: boolean;
}

/**
 * A build whose context is a branch's last commit of a project hosted by Berth (the dashboard's
 * "New build" from a repository): the commit's files as `git archive` gives them, so the build
 * sees exactly what was pushed, never a working copy. Queued as any build; its page follows it.
 */
export async function buildFromProject(s: Services, actor: Actor, input: ProjectBuildInput): Promise<{ id: string; sha: string }> {
  const project = await findProject(s.db, actor.team.id, input.project);
  const dir = repoPath(actor.team.id, project.name);
  const heads = await branchHeads(dir);
  const sha = heads.get(input.branch);
  if (!sha) throw new NotFound(`project ${project.name} has no branch ${input.branch}${heads.size ? ` (its branches: ${[...heads.keys()].sort().join(", ")})` : ": push one first (berth project create prints the remote)"}`);
  const tags = input.tags.map(tagRef);
  await assertTagsWritable(s, actor, tags);
  await checkDiskQuota(s, actor.team.id);
  const archive = spawn("git", ["--git-dir", dir, "archive", "--format=tar", sha], { stdio: ["ignore", "pipe", "pipe"] });
  let errors = "";
  archive.stderr.setEncoding("utf8").on("data", (d: string) => (errors += d));
  const exited = new Promise<number>((resolve, reject) => {
    archive.once("error", reject);
    archive.once("close", (code) => resolve(code ?? 1));
  });
  const upload = await receiveSmallUpload(archive.stdout, `the files of ${project.name}@${input.branch}`, INLINE_CONTEXT_MAX);
  const code = await exited;
  if (code !== 0) {
    if ("file" in upload) await fs.rm(upload.file, { force: true });
    throw new FailedPrecondition(`exporting ${input.branch} (${sha.slice(0, 12)}) of ${project.name}: ${errors.trim() || `git archive exited ${code}`}`);
  }
  const id = randomUUID();
  const payload: BuildJob = {
    buildId: id,
    context: "inline" in upload ? { inline: upload.inline.toString("base64") } : upload.name,
    tags,
    buildArgs: input.buildArgs,
    dockerfile: input.dockerfile,
    noCache: input.noCache,
    network: "default",
    teamId: actor.team.id,
  };
  try {
    await queueBuild(s, payload, actor.userName);
  } catch (err) {
    if ("file" in upload) await fs.rm(upload.file, { force: true });
    throw err;
  }
  s.log.info({ buildId: id, project: project.name, branch: input.branch, sha }, "build of a project's branch queued");
  return { id, sha };
}
