/**
 * What a push to a project does, whichever way it came (git push through the hook, a webhook's
 * fetch, `berth project sync`): record the branch's commit, export the commit's files, and hand
 * them to the preview engine (deployer.ts), reporting every step as a line for the pusher.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { config, keyedQueue, NotFound, publishEvent, type Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import { previewVariables } from "./variables.js";
import { previewEngine } from "./deployer.js";
import { branchFollower } from "./follower.js";
import { exportTree, repoPath } from "./repo.js";

export const BRANCH_STATES = ["building", "deploying", "live", "failed", "removed", "pushed"] as const;
/** `pushed`: recorded, with no preview engine to deploy it. */
export type BranchState = (typeof BRANCH_STATES)[number];

export interface PushInput {
  teamId: string;
  /** The project's name in the team. */
  project: string;
  branch: string;
  oldSha: string;
  newSha: string;
  deleted: boolean;
  /** False for an untrusted source (a fork's pull request): the deployer gives it no secrets. Default true. */
  trusted?: boolean;
  /** Each line of output, as it happens (the pusher's `remote:` lines). */
  onLine: (line: string) => void;
  /** Who pushed, when known: recorded on the releases the push makes. */
  pushedBy?: { id: string; name: string } | undefined;
}

export interface PushResult {
  state: BranchState;
  url?: string;
  error?: string;
}

/** The last push's output kept on the branch row. */
const LOG_MAX_CHARS = 64 * 1024;
export const NOT_ENABLED = "preview deploys are not enabled on this Berth";

/** Pushes to one branch run one after another: a later push waits for the earlier one's deploy. */
export const serially = keyedQueue();

export const shortSha = (sha: string) => sha.slice(0, 12);

/** What handlePush needs: the database, a logger, and Redis to publish the `project.push` event (none: no event). */
export interface PushDeps {
  db: PrismaClient;
  log: Logger;
  redis?: Redis;
}

export function handlePush(s: PushDeps, input: PushInput): Promise<PushResult> {
  return serially(`${input.teamId}/${input.project}/${input.branch}`, async () => {
    const r = await runPush(s, input);
    if (s.redis) {
      const sha = input.deleted ? input.oldSha : input.newSha;
      await publishEvent(s.redis, { type: "project.push", id: `${input.project}/${input.branch}`, teamId: input.teamId, attributes: { name: input.project, branch: input.branch, sha, state: r.state, ...(r.url ? { url: r.url } : {}) } }, (err) =>
        s.log.warn({ err: err.message, project: input.project }, "could not publish project.push"),
      );
    }
    return r;
  });
}

async function runPush(s: PushDeps, input: PushInput): Promise<PushResult> {
  const project = await s.db.project.findUnique({ where: { teamId_name: { teamId: input.teamId, name: input.project } }, include: { team: { select: { name: true } } } });
  if (!project) throw new NotFound(`project ${input.project} not found`);
  const log: string[] = [];
  let logSize = 0;
  const say = (line: string) => {
    if (logSize < LOG_MAX_CHARS) {
      log.push(line);
      logSize += line.length + 1;
    }
    try {
      input.onLine(line);
    } catch (err) {
      // the pusher went away: the deploy goes on, the log keeps the lines
      s.log.debug({ err: (err as Error).message }, "push output listener failed");
    }
  };
  const key = { projectId_name: { projectId: project.id, name: input.branch } };
  const save = (data: { state: BranchState; error?: string | null; url?: string | null; stackName?: string | null }) => s.db.projectBranch.update({ where: key, data: { ...data, log: log.join("\n") } });
  const engine = previewEngine();
  const who = { teamId: project.teamId, teamName: project.team.name, projectId: project.id, project: project.name, branch: input.branch, onLine: say };

  if (input.deleted) {
    const row = await s.db.projectBranch.findUnique({ where: key });
    if (!row) {
      say(`branch ${input.branch} deleted (it had no preview)`);
      return { state: "removed" };
    }
    say(`branch ${input.branch} deleted: removing its preview`);
    try {
      if (engine) await engine.remove(who);
      say(`preview of ${input.branch} removed`);
      await save({ state: "removed", error: null, url: null });
      return { state: "removed" };
    } catch (err) {
      const error = (err as Error).message;
      say(`failed to remove the preview of ${input.branch}: ${error}`);
      await save({ state: "failed", error });
      return { state: "failed", error };
    }
  }

  const trusted = input.trusted ?? true;
  await s.db.projectBranch.upsert({
    where: key,
    create: { projectId: project.id, name: input.branch, sha: input.newSha, state: "building", trusted },
    update: { sha: input.newSha, state: "building", error: null, trusted, log: "" },
  });
  say(`${project.name}: branch ${input.branch} at ${shortSha(input.newSha)}${trusted ? "" : " (untrusted source: no secrets)"}`);
  if (!engine) {
    say(NOT_ENABLED);
    await save({ state: "pushed" });
    return { state: "pushed" };
  }

  const dir = path.join(config().home, "builds", `push-${randomBytes(8).toString("hex")}`);
  // phase writes land in order, and before the final state
  let phases: Promise<unknown> = Promise.resolve();
  try {
    await exportTree(repoPath(project.teamId, project.name), input.newSha, dir);
    // A fork's pull request (untrusted) gets none of the project's variables.
    const env = trusted ? await previewVariables(s.db, project.id) : {};
    const out = await engine.deploy({
      ...who,
      sha: input.newSha,
      dir,
      trusted,
      env,
      onPhase: (phase) => {
        phases = phases.then(() => s.db.projectBranch.update({ where: key, data: { state: phase } })).catch((err: Error) => s.log.warn({ err: err.message }, "recording a branch's phase failed"));
      },
    });
    await phases;
    say(`preview: ${out.url}`);
    await save({ state: "live", url: out.url, stackName: out.stackName ?? null, error: null });
    // Environments following this branch (staging) get a release of the images just checked.
    const follow = trusted ? branchFollower() : null;
    if (follow) {
      await follow({ teamId: project.teamId, projectId: project.id, project: project.name, defaultBranch: project.defaultBranch, branch: input.branch, sha: input.newSha, dir, stackName: out.stackName, pushedBy: input.pushedBy, onLine: say }).catch((err: Error) =>
        say(`the environments following ${input.branch} were not updated: ${err.message}`),
      );
      await s.db.projectBranch.update({ where: key, data: { log: log.join("\n") } });
    }
    return { state: "live", url: out.url };
  } catch (err) {
    const error = (err as Error).message;
    say(`failed: ${error}`);
    await phases;
    await save({ state: "failed", error });
    return { state: "failed", error };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
