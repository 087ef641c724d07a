/**
 * A branch pushed to Berth with git becomes a live preview, end to end with nothing stubbed: the
 * push's hook hands the commit to the preview engine, which builds the two-service fixture app
 * and routes `<branch>--<project>--<team>` on the edge. The push prints the build and the URL;
 * the URL serves that commit (curl-style with an API token, and in Chromium after sign-in); a
 * second push replaces it with no failed request; a push whose build fails names the step while
 * the previous commit keeps serving; deleting the branch takes its containers, volumes and route.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type Browser } from "./browser.js";
import { ROOT, run, useInstance } from "./harness.js";
import { ok } from "./cli-result.js";
import { edgeGet } from "./edge-client.js";
import { createUser } from "./team-setup.js";

// Expired previews are looked for every second here (a minute by default).
const b = useInstance({ env: { BERTH_PREVIEW_EXPIRY_INTERVAL_MS: "1000" } });
const FIXTURE = path.join(ROOT, "test/fixtures/previews/app");
const TEAM = "acme";
const PASSWORD = "alice-has-a-long-password";
const BRANCH = "feature/login";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-previews-push-"));
const repo = path.join(work, "shop");
let aliceToken = "";
let browser: Browser | undefined;

const alice = (args: string[]) => b.berth(args, { env: { BERTH_TOKEN: aliceToken, BERTH_TEAM: TEAM, XDG_CONFIG_HOME: path.join(work, "cfg-alice") } });
const gitEnv = { ...process.env, HOME: work, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0", GIT_AUTHOR_NAME: "alice", GIT_AUTHOR_EMAIL: "alice@example.com", GIT_COMMITTER_NAME: "alice", GIT_COMMITTER_EMAIL: "alice@example.com" };
const git = (args: string[]) => run("git", args, { cwd: repo, env: gitEnv, timeoutMs: 400_000 });
const gitOk = async (args: string[]) => ok(await git(args), `git ${args.join(" ")}`);

/** The remote with alice's token as the Basic password (any user name). */
function remote(): string {
  const u = new URL(`${b.url}/git/${TEAM}/shop.git`);
  u.username = "alice";
  u.password = aliceToken;
  return u.toString();
}

/** A commit whose page says `text` (a one-line change between commits). */
async function commit(text: string, edit?: () => void): Promise<string> {
  fs.writeFileSync(path.join(repo, "web/www/index.html"), `${text}\n`);
  edit?.();
  await gitOk(["add", "-A"]);
  await gitOk(["commit", "-q", "-m", text]);
  return (await gitOk(["rev-parse", "HEAD"])).stdout.trim();
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
/** GET / through the edge on loopback with the preview's host name and an API token, as a script would. */
function get(host: string): Promise<{ status: number; body: string }> {
  return edgeGet(b.edgePort, host, { agent, token: aliceToken });
}

const previewHost = () => `feature-login--shop--${TEAM}.localhost:${b.edgePort}`;

beforeAll(async () => {
  aliceToken = createUser(b, "alice", PASSWORD);
  ok(await b.berth(["team", "create", TEAM]), "team create");
  ok(await b.berth(["team", "add", TEAM, "alice", "--role", "member"]), "team add");
  fs.cpSync(FIXTURE, repo, { recursive: true });
  await gitOk(["init", "-q", "-b", BRANCH]);
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await browser?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("git push to a preview", () => {
  let sha1 = "";

  it("a push builds the app and ends with the preview's URL, which serves that commit", async () => {
    const created = ok(await alice(["project", "create", "shop"]), "project create");
    expect(created.stdout).toContain(`/git/${TEAM}/shop.git`);
    // Data to test against: the api's volume starts as a copy-on-write snapshot of the team's volume "seed".
    ok(await alice(["run", "--rm", "-v", "seed:/d", "busybox", "sh", "-c", "echo seeded > /d/f"]), "fill the seed volume");
    fs.writeFileSync(path.join(repo, "berth.yaml"), "data:\n  data: seed\nttl: 1h\n");
    // A preview variable, secret: the compose file interpolates it; listed masked, sealed at rest.
    ok(await alice(["project", "env", "shop", "set", "GREETING=hello-from-env", "--secret"]), "project env set");
    const env = ok(await alice(["project", "env", "shop"]), "project env").stdout;
    expect(env).toMatch(/GREETING +•+ +yes/);
    expect(env).not.toContain("hello-from-env");
    sha1 = await commit("version one");
    const push = await gitOk(["push", remote(), BRANCH]);
    const out = push.stderr;
    expect(out).toMatch(/remote: .*building web/);
    expect(out).toMatch(new RegExp(`remote: .*http://${previewHost().replace(/\./g, "\\.")}`));
    const page = await get(previewHost());
    expect(page).toEqual({ status: 200, body: "version one\n" });
    const status = ok(await alice(["project", "status", "shop"]), "project status").stdout;
    expect(status).toContain(sha1.slice(0, 7));
    expect(status).toMatch(/live/);
    // Tagged by commit in the team's registry namespace: a digest that can be promoted later.
    expect(ok(await alice(["images"]), "images").stdout).toMatch(new RegExp(`^${TEAM}/shop/web +${sha1}`, "m"));
  }, 420_000);

  it("the preview's volume starts with the seed's data, and its writes stay in the preview", async () => {
    const api = "feature-login--shop-api-1";
    expect(ok(await alice(["exec", api, "cat", "/data/f"]), "exec cat").stdout).toBe("seeded\n");
    expect(ok(await alice(["exec", api, "sh", "-c", "echo $GREETING"]), "exec echo").stdout).toBe("hello-from-env\n");
    ok(await alice(["exec", api, "sh", "-c", "echo changed > /data/f"]), "exec write");
    // The api wrote its page into the volume at start, and now changed f: the seed has neither.
    expect(ok(await alice(["run", "--rm", "-v", "seed:/d", "busybox", "sh", "-c", "cat /d/f; ls /d"]), "read the seed").stdout).toBe("seeded\nf\n");
  }, 120_000);

  it("the URL opens in Chromium after Berth's sign-in", async () => {
    browser = await launchBrowser();
    const page = await browser.ctx.newPage();
    await page.goto(`http://${previewHost()}/`);
    await page.waitForURL((u) => u.host === new URL(b.url).host);
    const login = page.getByTestId("login-form");
    await login.locator('input[name="username"]').fill("alice");
    await login.locator('input[name="password"]').fill(PASSWORD);
    await login.locator('button[type="submit"]').click();
    await page.waitForURL(`http://${previewHost()}/`);
    expect((await page.textContent("body"))?.trim()).toBe("version one");
  }, 120_000);

  it("a second push replaces the preview without a failed request", async () => {
    await commit("version two");
    let stop = false;
    const seen = new Map<string, number>();
    let failed = 0;
    const loop = (async () => {
      for (let i = 0; i < 5000 && !stop; i++) {
        try {
          const r = await get(previewHost());
          if (r.status !== 200) failed++;
          seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
        } catch {
          failed++;
        }
      }
    })();
    const push = await gitOk(["push", remote(), BRANCH]);
    stop = true;
    await loop;
    expect(push.stderr).toMatch(/remote: .*traffic moved/);
    expect(failed).toBe(0);
    expect(seen.get("version one\n")).toBeGreaterThan(0);
    expect((await get(previewHost())).body).toBe("version two\n");
  }, 420_000);

  it("a push whose build fails names the step, and the previous commit keeps serving", async () => {
    await commit("version three", () => fs.appendFileSync(path.join(repo, "web/Dockerfile"), "RUN false\n"));
    const push = await git(["push", remote(), BRANCH]);
    // The refs are in (post-receive cannot refuse them); the output says the deploy failed and where.
    expect(push.stderr).toMatch(/remote: .*build web/);
    expect(push.stderr).toMatch(/remote: .*RUN false/);
    expect((await get(previewHost())).body).toBe("version two\n");
    const status = ok(await alice(["project", "status", "shop"]), "project status").stdout;
    expect(status).toMatch(/failed/);
  }, 420_000);

  it("deleting the branch removes its containers, volumes and route", async () => {
    await gitOk(["push", remote(), `:${BRANCH}`]);
    const ps = ok(await alice(["ps", "-a", "--format", "{{.Names}}"]), "ps").stdout;
    expect(ps).not.toMatch(/feature-login--shop/);
    const volumes = ok(await alice(["volume", "ls"]), "volume ls").stdout;
    expect(volumes).not.toMatch(/feature-login--shop/);
    // The seed the preview started from is untouched and stays.
    expect(volumes).toMatch(/\bseed\b/);
    // The edge may answer from its cached decision for a moment ("not running"); then as for a preview that never was.
    await expect.poll(async () => (await get(previewHost())).status, { timeout: 30_000 }).toBe(404);
  }, 420_000);

  it("a preview not deployed again within berth.yaml's ttl is removed; the branch stays and says why", async () => {
    // Back (berth.yaml says ttl: 1h); then its deadline moved an hour back, as if the hour had passed.
    // The branch again, without the commit whose build fails.
    await gitOk(["reset", "-q", "--hard", "HEAD~1"]);
    await gitOk(["push", remote(), BRANCH]);
    // The edge may still hold its answer for the deleted preview for a moment.
    await expect.poll(async () => (await get(previewHost())).body, { timeout: 30_000 }).toBe("version two\n");
    const file = path.join(b.home, "edge", "routes.json");
    const routes = JSON.parse(fs.readFileSync(file, "utf8")) as { generation: number; routes: Record<string, { labels: Record<string, string> }> };
    const route = Object.values(routes.routes).find((r) => r.labels.branch === BRANCH)!;
    expect(Date.parse(route.labels.expiresAt!) - Date.now()).toBeGreaterThan(50 * 60_000);
    route.labels.expiresAt = new Date(Date.now() - 60_000).toISOString();
    fs.writeFileSync(`${file}.test`, JSON.stringify({ ...routes, generation: routes.generation + 1 }));
    fs.renameSync(`${file}.test`, file);
    await expect.poll(async () => (await get(previewHost())).status, { timeout: 60_000 }).toBe(404);
    // The route goes first; the containers then stop as `stack down` stops them (each with its
    // stop grace period: busybox httpd as PID 1 ignores SIGTERM), and only then is the branch marked.
    await expect.poll(async () => ok(await alice(["project", "status", "shop"]), "project status").stdout, { timeout: 60_000 }).toMatch(/removed/);
    const ps = ok(await alice(["ps", "-a", "--format", "{{.Names}}"]), "ps").stdout;
    expect(ps).not.toMatch(/feature-login--shop/);
  }, 420_000);

  it("berth preview ls lists it; berth preview rm removes it and the branch stays", async () => {
    // The expired preview's branch is still in git: redeploy brings it back.
    ok(await alice(["project", "redeploy", "shop", "--branch", BRANCH]), "project redeploy");
    await expect.poll(async () => (await get(previewHost())).body, { timeout: 30_000 }).toBe("version two\n");
    const ls = JSON.parse(ok(await alice(["preview", "ls", "--format", "json"]), "preview ls").stdout) as { project: string; branch: string; state: string; url: string }[];
    expect(ls).toEqual([expect.objectContaining({ project: "shop", branch: BRANCH, state: "live", url: `http://${previewHost()}/` })]);
    ok(await alice(["preview", "rm", "shop", BRANCH]), "preview rm");
    await expect.poll(async () => (await get(previewHost())).status, { timeout: 30_000 }).toBe(404);
    expect(JSON.parse(ok(await alice(["preview", "ls", "--format", "json"]), "preview ls").stdout)).toEqual([]);
    expect(ok(await alice(["project", "status", "shop"]), "project status").stdout).toMatch(/removed/);
    // A branch without a preview says so.
    const none = await alice(["preview", "rm", "shop", "no-such-branch"]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/no preview of shop for branch no-such-branch/);
  }, 420_000);
});
