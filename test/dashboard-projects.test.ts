/**
 * The Projects pages in real headless Chromium against a whole Berth: lena (member of crew) pushes
 * a branch that deploys (Berth's own preview engine builds and starts it) and one whose build
 * fails; the list shows the project, the detail page its branches
 * with commit, state, preview link and log, and Redeploy for lena; vic (viewer) sees no Redeploy.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkA11y, launchBrowser, signInAs } from "./browser.js";
import { CLI, ROOT, run, useInstance } from "./harness.js";
import { passwordOf, setUpTeam } from "./team-setup.js";

const TEAM = "crew";
const SHOTS = path.join(ROOT, ".test-results", "screenshots");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-dash-projects-"));
const b = useInstance();
let lenaToken = "";
const src = path.join(work, "src");
const gitEnv = { ...process.env, HOME: work, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e" };
const git = async (...args: string[]) => {
  const r = await run("git", args, { cwd: src, env: gitEnv, timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return r;
};
const lena = (args: string[]) => run(process.execPath, ["--", CLI, ...args], { env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: lenaToken, BERTH_TEAM: TEAM, BERTH_HOME: b.home, XDG_CONFIG_HOME: `${work}/cfg-lena` } });
const signIn = (ctx: BrowserContext, user: "lena" | "vic", errors: string[]): Promise<Page> => signInAs(ctx, b.url, user, passwordOf(user), errors, `${user}: `);

beforeAll(async () => {
  ({ lena: lenaToken } = await setUpTeam(b, TEAM, { lena: "member", vic: "viewer" }));
  fs.mkdirSync(src);
  fs.mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("projects pages", () => {
  it("says how to create a project when the team has none", async () => {
    const errors: string[] = [];
    const br = await launchBrowser();
    try {
      const page = await signIn(br.ctx, "vic", errors);
      await page.goto(`${b.url}/t/${TEAM}/projects`);
      await page.getByTestId("projects-empty").waitFor();
      expect(await page.getByTestId("projects-empty").innerText()).toContain("berth project create NAME");
      // a viewer cannot create one: no button that the server would refuse
      expect(await page.getByTestId("project-new").count()).toBe(0);
      await page.screenshot({ path: path.join(SHOTS, "projects-empty.png"), fullPage: true });
      await checkA11y(page);
      expect(errors).toEqual([]);
    } finally {
      await br.close();
    }
  }, 90_000);

  it("shows a member the branches with their state, preview link and log, and Redeploy", async () => {
    const made = await lena(["project", "create", "shop"]);
    expect(made.code, made.stderr).toBe(0);
    const u = new URL(made.stdout.trim());
    u.username = "lena";
    u.password = lenaToken;
    await git("init", "-q", "-b", "main");
    fs.writeFileSync(path.join(src, "index.html"), "hello\n");
    fs.writeFileSync(path.join(src, "Dockerfile"), 'FROM busybox\nCOPY index.html /www/index.html\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n');
    await git("add", ".");
    await git("commit", "-q", "-m", "one");
    await git("push", u.toString(), "main");
    await git("checkout", "-q", "-b", "broken");
    fs.appendFileSync(path.join(src, "Dockerfile"), "RUN false\n");
    await git("commit", "-q", "-am", "two");
    await git("push", u.toString(), "broken");

    const errors: string[] = [];
    const br = await launchBrowser();
    try {
      const page = await signIn(br.ctx, "lena", errors);
      await page.goto(`${b.url}/t/${TEAM}/projects`);
      const row = page.getByTestId("project-row").filter({ hasText: "shop" });
      await row.waitFor();
      expect(await row.innerText()).toContain(`${b.url}/git/${TEAM}/shop.git`);
      await page.screenshot({ path: path.join(SHOTS, "projects-list.png"), fullPage: true });
      await row.getByRole("link", { name: "shop" }).click();
      await page.getByTestId("project-branches").waitFor();
      const main = page.locator('[data-testid="branch-row"][data-name="main"]');
      expect(await main.getAttribute("data-state")).toBe("live");
      expect(await main.getByTestId("branch-url").getAttribute("href")).toBe(`http://main--shop--${TEAM}.localhost:${b.edgePort}/`);
      const broken = page.locator('[data-testid="branch-row"][data-name="broken"]');
      expect(await broken.getAttribute("data-state")).toBe("failed");
      expect(await broken.getByTestId("branch-error").innerText()).toMatch(/failed at "build web"/);
      await broken.getByTestId("branch-log-toggle").click();
      await page.getByTestId("branch-log").getByText("RUN false", { exact: false }).first().waitFor();
      expect(await page.getByTestId("branch-redeploy").count()).toBe(2);
      // deleting a project is an admin's
      expect(await page.getByTestId("project-remove").count()).toBe(0);
      await page.screenshot({ path: path.join(SHOTS, "project-detail.png"), fullPage: true });
      await checkA11y(page);
      // Redeploy runs main's commit again through the engine, and it is live again
      const answered = page.waitForResponse((r) => r.url().includes("project.redeploy"));
      await main.getByTestId("branch-redeploy").click();
      const res = await answered;
      expect(res.status()).toBe(200);
      expect(JSON.stringify(await res.json())).toContain(`"url":"http://main--shop--${TEAM}.localhost:${b.edgePort}/"`);
      await page.locator('[data-testid="branch-row"][data-name="main"][data-state="live"]').waitFor();
      expect(errors).toEqual([]);
    } finally {
      await br.close();
    }
  }, 120_000);

  it("builds a project's branch from New build: its last pushed commit, exactly as pushed", async () => {
    const errors: string[] = [];
    const br = await launchBrowser();
    try {
      const page = await signIn(br.ctx, "lena", errors);
      await page.goto(`${b.url}/t/${TEAM}/builds?new=1`);
      const dialog = page.getByTestId("build-dialog");
      await dialog.getByTestId("build-source-project").check();
      await dialog.getByTestId("build-project").selectOption("shop");
      await dialog.getByTestId("build-branch").locator("option", { hasText: "main (" }).waitFor({ state: "attached" });
      await dialog.getByTestId("build-branch").selectOption("main");
      await dialog.getByTestId("build-tags").fill("shop-web:from-git");
      await checkA11y(page);
      await page.screenshot({ path: path.join(SHOTS, "build-from-project.png"), fullPage: true });
      await dialog.getByTestId("build-submit").click();
      await page.waitForURL((url) => /^\/t\/crew\/builds\/[0-9a-f-]{36}$/.test(url.pathname));
      await page.getByTestId("build-success").waitFor({ timeout: 120_000 });
      expect(await page.getByTestId("build-output").innerText()).toContain("COPY index.html /www/index.html");
      // the image holds main's file as pushed ("hello"), not the broken branch's Dockerfile
      const cat = await lena(["run", "--rm", "shop-web:from-git", "cat", "/www/index.html"]);
      expect(cat.stdout, cat.stderr).toBe("hello\n");
      expect(errors).toEqual([]);
    } finally {
      await br.close();
    }
  }, 180_000);

  it("shows a viewer the same branches with no Redeploy", async () => {
    const errors: string[] = [];
    const br = await launchBrowser();
    try {
      const page = await signIn(br.ctx, "vic", errors);
      await page.goto(`${b.url}/t/${TEAM}/projects/shop`);
      await page.getByTestId("project-branches").waitFor();
      expect(await page.getByTestId("branch-row").count()).toBe(2);
      expect(await page.getByTestId("branch-redeploy").count()).toBe(0);
      expect(await page.getByTestId("project-remove").count()).toBe(0);
      await checkA11y(page);
      expect(errors).toEqual([]);
    } finally {
      await br.close();
    }
  }, 90_000);

  it("lets a member create a project from the list, and says how to push to it", async () => {
    const errors: string[] = [];
    const br = await launchBrowser();
    try {
      const page = await signIn(br.ctx, "lena", errors);
      await page.goto(`${b.url}/t/${TEAM}/projects`);
      await page.getByTestId("project-new").click();
      const dialog = page.getByTestId("project-dialog");
      await dialog.getByTestId("project-name").fill("Bad Name");
      await dialog.getByTestId("project-submit").click();
      // the server's message says what is wrong and how to fix it; nothing was made
      await dialog.getByText("lowercase", { exact: false }).first().waitFor();
      await dialog.getByTestId("project-name").fill("notes");
      await dialog.getByTestId("project-submit").click();
      await dialog.getByTestId("project-made").waitFor();
      expect(await dialog.getByTestId("project-made").innerText()).toContain(`git remote add berth ${b.url}/git/${TEAM}/notes.git`);
      await page.screenshot({ path: path.join(SHOTS, "project-new.png"), fullPage: true });
      await checkA11y(page);
      await dialog.getByTestId("project-open").click();
      await page.waitForURL(`${b.url}/t/${TEAM}/projects/notes`);
      const listed = await lena(["project", "ls"]);
      expect(listed.stdout).toMatch(/^notes\s/m);
      // the refused name's 400 is the one the browser logs; nothing else went wrong
      expect(errors).toEqual(["lena: Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
    } finally {
      await br.close();
    }
  }, 90_000);
});
