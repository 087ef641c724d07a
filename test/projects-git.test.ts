import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, useInstance, type RunResult } from "./harness.js";

/**
 * Projects and git hosting (issue 16, part A), with a real git client against a real Berth: push
 * over smart HTTP with an API token, the hook's `remote:` lines, clone back, the roles, branch
 * deletion, and an outside repository followed through a signed webhook. The preview engine is
 * the seam: a small deployer module written here records what it was handed.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-projects-"));
const deployLog = path.join(work, "deploys.jsonl");
const deployer = path.join(work, "deployer.mjs");
fs.writeFileSync(
  deployer,
  `import fs from "node:fs";
import path from "node:path";
const record = (e) => fs.appendFileSync(${JSON.stringify(deployLog)}, JSON.stringify(e) + "\\n");
export async function deploy(i) {
  i.onLine("test deployer: building " + i.branch);
  const page = fs.readFileSync(path.join(i.dir, "index.html"), "utf8").trim();
  i.onPhase("deploying");
  i.onLine("test deployer: the page says " + page);
  if (page.includes("FAIL")) throw new Error("step build: the page asked to fail");
  record({ op: "deploy", project: i.project, branch: i.branch, sha: i.sha, trusted: i.trusted, page });
  return { url: "http://" + i.branch + "--" + i.project + "--" + i.teamName + ".localhost/" };
}
export async function remove(i) {
  record({ op: "remove", project: i.project, branch: i.branch });
  i.onLine("test deployer: removed " + i.branch);
}
`,
);

const b = useInstance({ env: { BERTH_PREVIEW_DEPLOYER: deployer } });

type Name = "alice" | "bob" | "vic";
const tokens = {} as Record<Name, string>;
const as = (name: Name, args: string[], team = "acme") => b.berth(args, { env: { BERTH_TOKEN: tokens[name], BERTH_TEAM: team, XDG_CONFIG_HOME: path.join(work, `cfg-${name}`) } });
const ok = (r: RunResult) => {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
};

/** git with no user or system configuration, never prompting. */
const gitEnv = { ...process.env, HOME: work, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };
const git = (args: string[], cwd = work) => run("git", args, { cwd, env: gitEnv, timeoutMs: 60_000 });
const gitOk = async (args: string[], cwd = work) => ok(await git(args, cwd)).stdout.trim();

/** The remote with `who`'s token as the Basic password (any user name). */
const remote = (who: Name | null, name = "site") => {
  const u = new URL(`${b.url}/git/acme/${name}.git`);
  if (who) {
    u.username = "git";
    u.password = tokens[who];
  }
  return u.toString();
};

async function commit(dir: string, page: string): Promise<string> {
  fs.writeFileSync(path.join(dir, "index.html"), `${page}\n`);
  await gitOk(["add", "index.html"], dir);
  await gitOk(["commit", "-q", "-m", page], dir);
  return gitOk(["rev-parse", "HEAD"], dir);
}

const deploys = () => (fs.existsSync(deployLog) ? fs.readFileSync(deployLog, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []);

interface Status {
  branchList: { name: string; sha: string; state: string; url: string | null; trusted: boolean }[];
}
const status = async (name: string) => JSON.parse(ok(await as("alice", ["project", "status", name, "--format", "json"])).stdout) as Status;

const src = path.join(work, "src");

beforeAll(async () => {
  for (const name of ["alice", "bob", "vic"] as const) {
    const r = ok(await b.berth(["user", "create", name]));
    tokens[name] = r.stdout.trim();
  }
  ok(await as("alice", ["team", "create", "acme"], ""));
  ok(await as("alice", ["team", "add", "acme", "vic", "--role", "viewer"], ""));
  fs.mkdirSync(src);
  await gitOk(["init", "-q", "-b", "main"], src);
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("a project's repository over smart HTTP", () => {
  let first = "";

  it("creates a project and prints its remote", async () => {
    const r = ok(await as("alice", ["project", "create", "site"]));
    expect(r.stdout.trim()).toBe(`${b.url}/git/acme/site.git`);
    expect(r.stderr).toContain("API token");
    expect(ok(await as("vic", ["project", "ls"])).stdout).toContain("site");
  });

  it("takes a push with a token and streams the hook's lines, ending with the URL", async () => {
    first = await commit(src, "commit one");
    const r = ok(await git(["push", remote("alice"), "main"], src));
    expect(r.stderr).toContain(`remote: site: branch main at ${first.slice(0, 12)}`);
    expect(r.stderr).toContain("remote: test deployer: the page says commit one");
    expect(r.stderr).toMatch(/remote: preview: http:\/\/main--site--acme\.localhost\/\s*\n/);
    expect(deploys()).toContainEqual({ op: "deploy", project: "site", branch: "main", sha: first, trusted: true, page: "commit one" });
    const st = await status("site");
    expect(st.branchList).toEqual([expect.objectContaining({ name: "main", sha: first, state: "live", url: "http://main--site--acme.localhost/" })]);
    const log = ok(await as("alice", ["project", "logs", "site", "--branch", "main"])).stdout;
    expect(log).toContain("the page says commit one");
    // the team's event stream has it; a stranger's does not
    const events = ok(await as("alice", ["events", "--since", "10m", "--until", "0s", "--filter", "type=project", "--format", "{{json .}}"])).stdout;
    expect(events).toContain(`"sha":"${first}"`);
    expect(events).toContain('"state":"live"');
    expect(ok(await as("bob", ["events", "--since", "10m", "--until", "0s", "--filter", "type=project", "--format", "{{json .}}"], "")).stdout.trim()).toBe("");
  });

  it("clones back what was pushed (a viewer may clone)", async () => {
    const dest = path.join(work, "clone");
    ok(await git(["clone", "-q", remote("vic"), dest]));
    expect(await gitOk(["rev-parse", "HEAD"], dest)).toBe(first);
    expect(fs.readFileSync(path.join(dest, "index.html"), "utf8")).toBe("commit one\n");
  });

  it("serves a fetch whose request git gzips (many wants), and keeps tags without deploying them", async () => {
    const tags = Array.from({ length: 40 }, (_, i) => `v${i}`);
    for (const t of tags) await gitOk(["tag", t], src);
    const pushed = ok(await git(["push", remote("alice"), "--tags"], src));
    expect(pushed.stderr).toContain("remote: refs/tags/v39: stored (only branches get previews)");
    const dest = path.join(work, "clone-tags");
    // git compresses an upload-pack request over 1 KiB: 40 wants are
    const r = await run("git", ["clone", remote("alice"), dest], { cwd: work, env: { ...gitEnv, GIT_TRACE_CURL: "1", GIT_TRACE_CURL_NO_DATA: "1" }, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Content-Encoding: gzip/i);
    expect((await gitOk(["tag", "--list"], dest)).split("\n").sort()).toEqual([...tags].sort());
  });

  it("says which step failed when the deploy fails", async () => {
    const sha = await commit(src, "FAIL please");
    const r = ok(await git(["push", remote("alice"), "main"], src));
    expect(r.stderr).toContain("remote: failed: step build: the page asked to fail");
    const st = await status("site");
    expect(st.branchList[0]).toMatchObject({ name: "main", sha, state: "failed" });
    await commit(src, "commit two");
    ok(await git(["push", remote("alice"), "main"], src));
  });

  it("refuses a viewer's push with a message git shows, and changes nothing", async () => {
    const before = await gitOk(["ls-remote", remote("alice"), "refs/heads/main"]);
    await commit(src, "commit by a viewer");
    const r = await git(["push", remote("vic"), "main"], src);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("remote: project.push is refused: you are a viewer of team acme");
    expect(r.stderr).toContain("403");
    expect(await gitOk(["ls-remote", remote("alice"), "refs/heads/main"])).toBe(before);
    await gitOk(["reset", "-q", "--hard", "HEAD~1"], src);
  });

  it("answers a non-member's clone, and an unknown project, with not found", async () => {
    for (const url of [remote("bob"), remote("alice", "nope")]) {
      const r = await git(["clone", "-q", url, path.join(work, `x-${Math.random()}`)]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/repository not found|not found/i);
    }
    const res = await fetch(`${b.url}/git/acme/site.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Basic ${Buffer.from(`x:${tokens.bob}`).toString("base64")}` } });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("repository not found\n");
  });

  it("asks for credentials (401, Basic realm Berth) when none are given", async () => {
    const res = await fetch(`${b.url}/git/acme/site.git/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Basic realm="Berth"');
    const r = await git(["ls-remote", remote(null)]);
    expect(r.code).not.toBe(0);
    // the token as a Bearer header, as berth project create suggests
    const bearer = ok(await git(["-c", `http.extraHeader=Authorization: Bearer ${tokens.vic}`, "ls-remote", remote(null), "refs/heads/main"]));
    expect(bearer.stdout).toContain("refs/heads/main");
  });

  it("hands a deleted branch to the remover", async () => {
    await gitOk(["checkout", "-q", "-b", "feature"], src);
    const sha = await commit(src, "feature page");
    const pushed = ok(await git(["push", remote("alice"), "feature"], src));
    expect(pushed.stderr).toContain("remote: preview: http://feature--site--acme.localhost/");
    expect((await status("site")).branchList.find((x) => x.name === "feature")).toMatchObject({ sha, state: "live" });
    const r = ok(await git(["push", remote("alice"), ":feature"], src));
    expect(r.stderr).toContain("remote: branch feature deleted: removing its preview");
    expect(r.stderr).toContain("remote: test deployer: removed feature");
    expect(deploys()).toContainEqual({ op: "remove", project: "site", branch: "feature" });
    expect((await status("site")).branchList.find((x) => x.name === "feature")).toMatchObject({ state: "removed" });
    await gitOk(["checkout", "-q", "main"], src);
  });

  it("refuses a viewer removing the project, and lets the admin", async () => {
    const r = await as("vic", ["project", "rm", "site"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("project.delete is refused");
    ok(await as("alice", ["project", "rm", "site"]));
    expect(deploys()).toContainEqual({ op: "remove", project: "site", branch: "main" });
    const gone = await git(["ls-remote", remote("alice")]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain("repository not found");
    expect(ok(await as("alice", ["project", "ls"])).stdout).not.toContain("site");
  });
});

/** An outside repository, served by git's own http-backend from a server of this test's. */
function serveUpstream(root: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const child = spawn("/usr/lib/git-core/git-http-backend", [], {
      env: { PATH: process.env.PATH, GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: "1", PATH_INFO: u.pathname, QUERY_STRING: u.search.slice(1), REQUEST_METHOD: req.method, CONTENT_TYPE: req.headers["content-type"] ?? "", ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"]) } : {}), ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}) },
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    child.stdout.on("data", (c: Buffer) => {
      if (started) return void res.write(c);
      head = Buffer.concat([head, c]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      started = true;
      let statusCode = 200;
      for (const line of head.subarray(0, end).toString().split("\r\n")) {
        const [k, ...v] = line.split(":");
        if (k!.toLowerCase() === "status") statusCode = Number.parseInt(v.join(":"), 10);
        else res.setHeader(k!, v.join(":").trim());
      }
      res.writeHead(statusCode);
      res.write(head.subarray(end + 4));
    });
    child.on("close", () => res.end());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("a project following an outside repository", () => {
  let server: http.Server;
  let secret = "";
  const upRoot = path.join(work, "upstream");
  const up = path.join(upRoot, "up.git");
  const upWork = path.join(work, "up-work");

  beforeAll(async () => {
    fs.mkdirSync(upRoot);
    await gitOk(["init", "-q", "--bare", "-b", "main", up]);
    fs.mkdirSync(upWork);
    await gitOk(["init", "-q", "-b", "main"], upWork);
    server = await serveUpstream(upRoot);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const hook = (body: string, headers: Record<string, string>) => fetch(`${b.url}/git/acme/mirror/webhook`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const sign = (body: string, key: string) => `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;

  it("creates it with --from, printing the webhook secret once", async () => {
    const port = (server.address() as net.AddressInfo).port;
    const r = ok(await as("alice", ["project", "create", "mirror", "--from", `http://127.0.0.1:${port}/up.git`]));
    secret = /webhook secret: (\S+)/.exec(r.stderr)?.[1] ?? "";
    expect(secret).toMatch(/^whsec_/);
    expect(ok(await as("alice", ["project", "status", "mirror", "--format", "json"])).stdout).not.toContain(secret);
  });

  it("refuses a webhook with a wrong signature and fetches nothing", async () => {
    const sha = await commit(upWork, "upstream one");
    await gitOk(["push", "-q", up, "main"], upWork);
    const body = JSON.stringify({ ref: "refs/heads/main", after: sha });
    for (const headers of [{ "x-github-event": "push", "x-hub-signature-256": sign(body, "not the secret") }, { "x-gitlab-event": "Push Hook", "x-gitlab-token": "nope" }, { "x-github-event": "push" }]) {
      const res = await hook(body, headers);
      expect(res.status).toBe(401);
    }
    // an unknown project answers the same: no one learns which exist
    const other = await fetch(`${b.url}/git/acme/nope/webhook`, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": sign(body, secret) }, body });
    expect(other.status).toBe(401);
    expect((await status("mirror")).branchList).toEqual([]);
    const heads = await git(["ls-remote", remote("alice", "mirror")]);
    expect(heads.stdout.trim()).toBe("");
  });

  it("fetches and deploys on a webhook signed with the secret (GitHub's shape)", async () => {
    const sha = await gitOk(["rev-parse", "HEAD"], upWork);
    const body = JSON.stringify({ ref: "refs/heads/main", after: sha, repository: { full_name: "acme/site" } });
    const res = await hook(body, { "x-github-event": "push", "x-hub-signature-256": sign(body, secret) });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ ok: true, forge: "github", branches: [{ branch: "main", sha, deleted: false, trusted: true }] });
    // the deploy runs after the answer: wait for the branch to go live
    let main: Status["branchList"][number] | undefined;
    for (let i = 0; i < 300 && main?.state !== "live"; i++) {
      main = (await status("mirror")).branchList.find((x) => x.name === "main");
      if (main?.state !== "live") await new Promise((r) => setTimeout(r, 200));
    }
    expect(main).toMatchObject({ sha, state: "live", url: "http://main--mirror--acme.localhost/" });
    expect(ok(await as("alice", ["project", "status", "mirror"])).stdout).toContain(sha.slice(0, 12));
    // clients see the branches, not Berth's copy of the upstream's refs
    expect(await gitOk(["ls-remote", remote("vic", "mirror")])).toBe(`${sha}\tHEAD\n${sha}\trefs/heads/main`);
  });

  it("marks a fork's pull request untrusted", async () => {
    await gitOk(["checkout", "-q", "-b", "fork"], upWork);
    const sha = await commit(upWork, "from a fork");
    await gitOk(["push", "-q", up, `HEAD:refs/pull/4/head`], upWork);
    const body = JSON.stringify({ action: "opened", number: 4, pull_request: { head: { repo: { full_name: "mallory/site" } }, base: { repo: { full_name: "acme/site" } } } });
    const res = await hook(body, { "x-github-event": "pull_request", "x-hub-signature-256": sign(body, secret) });
    expect(res.status).toBe(202);
    let pr: Status["branchList"][number] | undefined;
    for (let i = 0; i < 300 && pr?.state !== "live"; i++) {
      pr = (await status("mirror")).branchList.find((x) => x.name === "pr-4");
      if (pr?.state !== "live") await new Promise((r) => setTimeout(r, 200));
    }
    expect(pr).toMatchObject({ sha, state: "live", trusted: false });
    expect(deploys()).toContainEqual(expect.objectContaining({ project: "mirror", branch: "pr-4", trusted: false }));
    await gitOk(["checkout", "-q", "main"], upWork);
  });

  it("syncs on demand with berth project sync", async () => {
    const sha = await commit(upWork, "upstream two");
    await gitOk(["push", "-q", up, "main"], upWork);
    const r = ok(await as("alice", ["project", "sync", "mirror"]));
    expect(r.stdout).toContain(`[main] mirror: branch main at ${sha.slice(0, 12)}`);
    expect(r.stdout).toContain("[main] preview: http://main--mirror--acme.localhost/");
    expect((await status("mirror")).branchList.find((x) => x.name === "main")).toMatchObject({ sha, state: "live" });
    // a viewer may not
    const v = await as("vic", ["project", "sync", "mirror"]);
    expect(v.code).not.toBe(0);
  });

  it("keeps the team while it has a project", async () => {
    const r = await as("alice", ["team", "rm", "acme"], "");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("still owns 1 project(s)");
  });
});
