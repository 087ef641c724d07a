import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "@berth/core";
import { createDb, type PrismaClient } from "@berth/core/db";
import { setPreviewEngine, type PreviewDeployInput } from "./deployer.js";
import { handlePush, NOT_ENABLED } from "./push.js";
import { initRepo, repoPath } from "./repo.js";

/** handlePush against a real migrated SQLite file and a real repository; the preview engine is the seam. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const home = fs.mkdtempSync(path.join(os.tmpdir(), "berth-push-"));
process.env.BERTH_HOME = home;
const sh = promisify(execFile);
const gitEnv = { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e" };
const git = async (args: string[], cwd: string) => (await sh("git", args, { cwd, env: gitEnv })).stdout.trim();

let db: PrismaClient;
const log = createLogger("test");
const TEAM = "team1";
const work = path.join(home, "work");

async function commit(page: string): Promise<string> {
  fs.writeFileSync(path.join(work, "index.html"), page);
  await git(["add", "."], work);
  await git(["commit", "-q", "-m", page], work);
  await git(["push", "-q", repoPath(TEAM, "site"), "HEAD:main"], work);
  return git(["rev-parse", "HEAD"], work);
}

beforeAll(async () => {
  const url = `file:${path.join(home, "berth.db")}`;
  await sh(process.execPath, [path.join(ROOT, "node_modules/prisma/build/index.js"), "migrate", "deploy"], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url } });
  db = createDb(url);
  await db.team.create({ data: { id: TEAM, name: "acme" } });
  await db.project.create({ data: { id: "p1", teamId: TEAM, name: "site" } });
  await initRepo(repoPath(TEAM, "site"), "main");
  fs.mkdirSync(work);
  await git(["init", "-q", "-b", "main"], work);
}, 60_000);

afterAll(async () => {
  setPreviewEngine(null);
  await db?.$disconnect();
  fs.rmSync(home, { recursive: true, force: true });
});

beforeEach(() => setPreviewEngine(null));

const ZERO = "0".repeat(40);
const branch = () => db.projectBranch.findUnique({ where: { projectId_name: { projectId: "p1", name: "main" } } });

describe("handlePush", () => {
  it("records the commit and says previews are off when no engine is set", async () => {
    const sha = await commit("one");
    const lines: string[] = [];
    expect(await handlePush({ db, log }, { teamId: TEAM, project: "site", branch: "main", oldSha: ZERO, newSha: sha, deleted: false, onLine: (l) => lines.push(l) })).toEqual({ state: "pushed" });
    expect(lines).toContain(NOT_ENABLED);
    expect(await branch()).toMatchObject({ sha, state: "pushed", trusted: true });
    expect((await branch())!.log).toContain(NOT_ENABLED);
  });

  it("hands the engine the commit's files and records the URL; a failure keeps its reason", async () => {
    const seen: Omit<PreviewDeployInput, "onLine" | "onPhase">[] = [];
    const files: string[] = [];
    setPreviewEngine({
      deploy: async (i) => {
        const { onLine, onPhase, ...rest } = i;
        seen.push(rest);
        files.push(fs.readFileSync(path.join(i.dir, "index.html"), "utf8"));
        onPhase("deploying");
        onLine("deploying");
        if (files.at(-1) === "bad") throw new Error("step build: exit status 2");
        return { url: `http://${i.branch}--${i.project}--${i.teamName}.localhost/`, stackName: "site-main" };
      },
      remove: async () => {},
    });
    const sha = await commit("two");
    const r = await handlePush({ db, log }, { teamId: TEAM, project: "site", branch: "main", oldSha: ZERO, newSha: sha, deleted: false, trusted: false, onLine: () => {} });
    expect(r).toEqual({ state: "live", url: "http://main--site--acme.localhost/" });
    expect(files).toEqual(["two"]);
    expect(seen[0]).toMatchObject({ teamId: TEAM, teamName: "acme", project: "site", branch: "main", sha, trusted: false });
    // the exported tree is gone once the engine returns
    expect(fs.existsSync(seen[0]!.dir)).toBe(false);
    expect(await branch()).toMatchObject({ sha, state: "live", url: r.url, stackName: "site-main", trusted: false });

    const bad = await commit("bad");
    const lines: string[] = [];
    expect(await handlePush({ db, log }, { teamId: TEAM, project: "site", branch: "main", oldSha: sha, newSha: bad, deleted: false, onLine: (l) => lines.push(l) })).toEqual({ state: "failed", error: "step build: exit status 2" });
    expect(lines.at(-1)).toBe("failed: step build: exit status 2");
    expect(await branch()).toMatchObject({ sha: bad, state: "failed", error: "step build: exit status 2" });
  });

  it("runs pushes to one branch one after another", async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    setPreviewEngine({
      deploy: async (i) => {
        order.push(`start ${i.sha.slice(0, 7)}`);
        if (order.length === 1) await held;
        order.push(`end ${i.sha.slice(0, 7)}`);
        return { url: "http://x/" };
      },
      remove: async () => {},
    });
    const a = await commit("three");
    const b = await commit("four");
    const push = (sha: string) => handlePush({ db, log }, { teamId: TEAM, project: "site", branch: "main", oldSha: ZERO, newSha: sha, deleted: false, onLine: () => {} });
    const first = push(a);
    const second = push(b);
    while (order.length === 0) await new Promise((r) => setTimeout(r, 10));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual([`start ${a.slice(0, 7)}`, `end ${a.slice(0, 7)}`, `start ${b.slice(0, 7)}`, `end ${b.slice(0, 7)}`]);
    expect(await branch()).toMatchObject({ sha: b, state: "live" });
  });

  it("calls the remover for a deleted branch", async () => {
    const removed: string[] = [];
    setPreviewEngine({ deploy: async () => ({ url: "http://x/" }), remove: async (i) => void removed.push(`${i.project}/${i.branch}`) });
    const sha = (await branch())!.sha;
    expect(await handlePush({ db, log }, { teamId: TEAM, project: "site", branch: "main", oldSha: sha, newSha: ZERO, deleted: true, onLine: () => {} })).toEqual({ state: "removed" });
    expect(removed).toEqual(["site/main"]);
    expect(await branch()).toMatchObject({ state: "removed", url: null });
  });
});
