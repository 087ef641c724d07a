/**
 * The pipeline page in real headless Chromium against a whole Berth: lena (member of crew) pushes
 * main, which deploys staging (Berth's own build, preview and release engine); the page shows
 * staging's live release with its digests (as `berth release ls --no-trunc` has them), sets
 * production's config (a secret masked), promotes staging to production through the
 * confirmation dialog and its diff, makes a release of a config change at once, rolls production back
 * to a chosen release (its images and its config), and refuses a promotion whose source moved on
 * after the dialog showed it. vic (viewer)
 * sees the same environments with no promote, rollback or config buttons, and no secret's value.
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
const PROJECT = "shop";
const SECRET = "s3cret-never-shown";
const SHOTS = path.join(ROOT, ".test-results", "screenshots");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-dash-pipeline-"));
const b = useInstance();
let lenaToken = "";
let remote = "";
const src = path.join(work, "src");
const gitEnv = { ...process.env, HOME: work, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e" };
const git = async (...args: string[]) => {
  const r = await run("git", args, { cwd: src, env: gitEnv, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return r;
};
const lena = (args: string[]) => run(process.execPath, ["--", CLI, ...args], { env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: lenaToken, BERTH_TEAM: TEAM, BERTH_HOME: b.home, XDG_CONFIG_HOME: `${work}/cfg-lena` } });
const signIn = (ctx: BrowserContext, user: "lena" | "vic", errors: string[]): Promise<Page> => signInAs(ctx, b.url, user, passwordOf(user), errors, `${user}: `);

/** Commits index.html with `text` and pushes main (its push builds, previews and deploys staging). */
async function pushMain(text: string): Promise<void> {
  fs.writeFileSync(path.join(src, "index.html"), `${text}\n`);
  await git("add", ".");
  await git("commit", "-q", "-m", text);
  await git("push", "-q", remote, "main");
}

/** Every digest `berth release ls --no-trunc` lists for one release of an environment. */
async function cliDigests(env: string, number: number): Promise<Record<string, string>> {
  const r = await lena(["release", "ls", PROJECT, env, "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  const rows = JSON.parse(r.stdout) as { number: number; images: Record<string, string> }[];
  const row = rows.find((x) => x.number === number);
  expect(row, `${env} v${number} in ${r.stdout}`).toBeDefined();
  return row!.images;
}

/** The digests the page shows on an environment's card (data-digest carries the full one). */
async function cardDigests(page: Page, env: string): Promise<Record<string, string>> {
  const card = page.locator(`[data-testid="env"][data-env="${env}"]`);
  const out: Record<string, string> = {};
  for (const d of await card.getByTestId("env-live").getByTestId("digest").all()) out[(await d.getAttribute("data-service"))!] = (await d.getAttribute("data-digest"))!;
  return out;
}

const card = (page: Page, env: string) => page.locator(`[data-testid="env"][data-env="${env}"]`);
const liveIs = (page: Page, env: string, n: number) => page.locator(`[data-testid="env"][data-env="${env}"][data-live="${n}"]`).waitFor({ timeout: 180_000 });

beforeAll(async () => {
  ({ lena: lenaToken } = await setUpTeam(b, TEAM, { lena: "member", vic: "viewer" }));
  const made = await lena(["project", "create", PROJECT]);
  expect(made.code, made.stderr).toBe(0);
  const u = new URL(made.stdout.trim());
  u.username = "lena";
  u.password = lenaToken;
  remote = u.toString();
  fs.mkdirSync(src);
  await git("init", "-q", "-b", "main");
  fs.writeFileSync(path.join(src, "Dockerfile"), 'FROM busybox\nCOPY index.html /www/index.html\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n');
  fs.mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("pipeline page", () => {
  it("says what deploys each environment before anything has", async () => {
    const errors: string[] = [];
    const br = await launchBrowser();
    try {
      const page = await signIn(br.ctx, "vic", errors);
      await page.goto(`${b.url}/t/${TEAM}/projects/${PROJECT}`);
      // the project page links its pipeline
      await page.getByRole("link", { name: "Pipeline" }).click();
      await page.waitForURL(`${b.url}/t/${TEAM}/projects/${PROJECT}/pipeline`);
      await page.getByTestId("pipeline").waitFor();
      // in pipeline order: previews, staging, production
      expect(await page.locator('[data-testid="env"]').evaluateAll((els) => els.map((e) => e.getAttribute("data-env")))).toEqual(["staging", "production"]);
      expect(await page.getByTestId("previews-empty").count()).toBe(1);
      const staging = await card(page, "staging").getByTestId("env-empty").innerText();
      expect(staging).toContain("Push to main to deploy staging");
      expect(staging).toContain(`/git/${TEAM}/${PROJECT}.git main`);
      expect(await card(page, "production").getByTestId("env-empty").innerText()).toContain(`Promote staging to deploy production`);
      expect(await card(page, "production").getByTestId("env-empty").innerText()).toContain(`berth promote ${PROJECT} --from staging --to production`);
      expect(await page.getByTestId("history-empty").innerText()).toContain("A push to main makes its first release");
      // Nothing answers at an environment's URL yet: it is plain text saying so, not a link to an error page.
      for (const env of ["staging", "production"]) {
        const url = card(page, env).getByTestId("env-url");
        expect(await url.evaluate((e) => e.tagName)).toBe("SPAN");
        expect(await url.getAttribute("href")).toBeNull();
        expect((await url.innerText()).trim()).toBe(`env--${env}--${PROJECT}--${TEAM}.localhost:${b.edgePort}`);
        // The card says it once, as the title of the box that says how to deploy.
        expect((await card(page, env).innerText()).match(/nothing deployed yet/gi)).toHaveLength(1);
        expect(await card(page, env).getByTestId("env-empty").getByText("Nothing deployed yet", { exact: true }).count()).toBe(1);
        expect(await card(page, env).locator(`a[href*="env--${env}--"]`).count()).toBe(0);
      }
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.screenshot({ path: path.join(SHOTS, "pipeline-empty.png"), fullPage: true });
      await checkA11y(page);
      expect(errors).toEqual([]);
    } finally {
      await br.close();
    }
  }, 90_000);

  it("shows a member staging's release by digest, sets production's config, promotes and rolls back with a diff", async () => {
    await pushMain("one");
    const errors: string[] = [];
    const br = await launchBrowser();
    try {
      await br.ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: b.url });
      const page = await signIn(br.ctx, "lena", errors);
      await page.setViewportSize({ width: 1440, height: 1000 });
      await page.goto(`${b.url}/t/${TEAM}/projects/${PROJECT}/pipeline`);
      await liveIs(page, "staging", 1);
      // the digests on the card are the release's, as the CLI lists them in full
      const staging1 = await cliDigests("staging", 1);
      expect(Object.keys(staging1).length).toBeGreaterThan(0);
      expect(await cardDigests(page, "staging")).toEqual(staging1);
      const [service, digest] = Object.entries(staging1)[0]!;
      const shown = card(page, "staging").getByTestId("env-live").locator(`[data-testid="digest"][data-service="${service}"]`);
      expect(await shown.locator("code").innerText()).toBe(digest.slice("sha256:".length, "sha256:".length + 12));
      expect(await shown.locator("code").getAttribute("title")).toBe(digest);
      await shown.getByTestId("digest-copy").click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(digest);
      expect(await card(page, "staging").getByTestId("env-url").getAttribute("href")).toBe(`http://env--staging--${PROJECT}--${TEAM}.localhost:${b.edgePort}/`);
      expect(await card(page, "staging").getByTestId("env-live").innerText()).toContain("lena");
      // production's own config, set from the page: the secret is masked at once
      await card(page, "production").getByTestId("env-select").click();
      await page.locator('[data-testid="env-detail"][data-env="production"]').waitFor();
      const form = page.getByTestId("config-form");
      await form.getByLabel("Name").fill("GREETING");
      await form.getByLabel("Value").fill("hello from production");
      await form.getByTestId("config-set").click();
      await page.locator('[data-testid="config-row"][data-key="GREETING"]').waitFor();
      await form.getByLabel("Name").fill("API_TOKEN");
      await form.getByLabel("Value").fill(SECRET);
      await form.getByLabel("Secret").check();
      await form.getByTestId("config-set").click();
      const secretRow = page.locator('[data-testid="config-row"][data-key="API_TOKEN"]');
      await secretRow.waitFor();
      expect(await secretRow.getAttribute("data-secret")).toBe("true");
      expect(await secretRow.getByTestId("config-value").innerText()).not.toContain(SECRET);
      expect(await page.locator('[data-testid="config-row"][data-key="GREETING"]').getByTestId("config-value").innerText()).toBe("hello from production");

      // promote: the dialog shows exactly which images go to production, then deploys them
      await card(page, "staging").getByTestId("env-promote").click();
      const dialog = page.getByTestId("change-dialog");
      await dialog.getByTestId("promote-plan").waitFor();
      const row = dialog.locator(`[data-testid="diff-image"][data-service="${service}"]`);
      expect(await row.getAttribute("data-change")).toBe("added");
      expect(await row.getByTestId("digest").last().getAttribute("data-digest")).toBe(digest);
      await page.screenshot({ path: path.join(SHOTS, "pipeline-promote-dialog.png") });
      await checkA11y(page);
      await dialog.getByTestId("change-confirm").click();
      await dialog.locator('[data-testid="change-done"][data-ok="true"]').waitFor({ timeout: 180_000 });
      expect(await dialog.getByTestId("change-done").innerText()).toContain("production v1 is live");
      await dialog.getByTestId("change-close").click();
      await liveIs(page, "production", 1);
      // the same digests, by digest, on both sides
      expect(await cardDigests(page, "production")).toEqual(staging1);
      expect(await cliDigests("production", 1)).toEqual(staging1);
      expect(await card(page, "production").getByTestId("env-live").innerText()).toContain("from staging v1");

      // a second commit: staging v2 by the push (the page follows by itself), then production v2 by promotion
      await pushMain("two");
      await liveIs(page, "staging", 2);
      const staging2 = await cliDigests("staging", 2);
      expect(staging2[service]).not.toBe(digest);
      await card(page, "staging").getByTestId("env-promote").click();
      await dialog.locator(`[data-testid="diff-image"][data-service="${service}"][data-change="changed"]`).waitFor();
      await dialog.getByTestId("change-confirm").click();
      await dialog.locator('[data-testid="change-done"][data-ok="true"]').waitFor({ timeout: 180_000 });
      await dialog.getByTestId("change-close").click();
      await liveIs(page, "production", 2);
      expect(await cardDigests(page, "production")).toEqual(staging2);

      // any config change of a live environment is a release, deployed at once: production v3, the same images with the new value
      await form.getByLabel("Name").fill("GREETING");
      await form.getByLabel("Value").fill("hello again");
      await form.getByTestId("config-set").click();
      await page.locator('[data-testid="config-deployed"][data-ok="true"][data-number="3"]').waitFor({ timeout: 180_000 });
      expect(await page.getByTestId("config-deployed").innerText()).toContain(`production v3 is live with config version`);
      await liveIs(page, "production", 3);
      expect(await cardDigests(page, "production")).toEqual(staging2);
      const greeting = page.locator('[data-testid="config-row"][data-key="GREETING"]').getByTestId("config-value");
      expect(await greeting.innerText()).toBe("hello again");

      // roll production back to v1, chosen in its history: the dialog shows v1's digest and config coming back
      const history = page.getByTestId("release-history");
      await history.locator('[data-testid="release-row"][data-number="3"][data-state="live"]').waitFor();
      await history.locator('[data-testid="release-row"][data-number="1"]').getByTestId("release-rollback").click();
      await dialog.getByTestId("rollback-plan").waitFor();
      expect(await dialog.getByTestId("rollback-target").inputValue()).toBe("1");
      const back = dialog.locator(`[data-testid="diff-image"][data-service="${service}"]`);
      await back.waitFor();
      expect(await back.getAttribute("data-change")).toBe("changed");
      expect(await back.getByTestId("digest").last().getAttribute("data-digest")).toBe(digest);
      expect(await dialog.getByTestId("diff-config").locator("li").evaluateAll((els) => els.map((e) => `${e.getAttribute("data-key")} ${e.getAttribute("data-change")}`))).toEqual(["GREETING changed"]);
      // the dialog never shows a config value, secret or not
      expect(await dialog.innerText()).not.toContain("hello");
      await page.screenshot({ path: path.join(SHOTS, "pipeline-rollback-dialog.png") });
      await checkA11y(page);
      await dialog.getByTestId("change-confirm").click();
      await dialog.locator('[data-testid="change-done"][data-ok="true"]').waitFor({ timeout: 180_000 });
      await dialog.getByTestId("change-close").click();
      await liveIs(page, "production", 4);
      expect(await cardDigests(page, "production")).toEqual(staging1);
      await history.locator('[data-testid="release-row"][data-number="4"][data-state="live"]').waitFor();
      await history.locator('[data-testid="release-row"][data-number="3"][data-state="superseded"]').waitFor();
      // and its config is v1's again
      await page.locator('[data-testid="config-row"][data-key="GREETING"]').getByText("hello from production").waitFor();

      // promote checks what it promotes: the dialog showed staging v2; staging moves on before the confirm, so nothing goes
      await card(page, "staging").getByTestId("env-promote").click();
      await dialog.getByTestId("promote-plan").waitFor();
      expect(await dialog.getByTestId("promote-plan").innerText()).toContain("staging v2");
      const moved = await lena(["rollback", PROJECT, "staging", "v1"]);
      expect(moved.code, moved.stderr).toBe(0);
      await dialog.getByTestId("change-confirm").click();
      await dialog.getByText("staging is now at v3, not v2: review and promote again").waitFor({ timeout: 60_000 });
      // the refusal is the one failed request the page made (the browser logs it): no other error
      expect(errors).toEqual(["lena: Failed to load resource: the server responded with a status of 412 (Precondition Failed)"]);
      errors.length = 0;
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await liveIs(page, "staging", 3);
      await liveIs(page, "production", 4);

      await page.screenshot({ path: path.join(SHOTS, "pipeline-member.png"), fullPage: true });
      await checkA11y(page);
      await page.setViewportSize({ width: 390, height: 844 });
      // a phone shows the stages one under the other, with nothing wider than the screen
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(SHOTS, "pipeline-mobile.png"), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await br.close();
    }
  }, 600_000);

  it("shows a viewer the same pipeline with no promote, rollback or config buttons, and no secret", async () => {
    const errors: string[] = [];
    const br = await launchBrowser();
    try {
      const page = await signIn(br.ctx, "vic", errors);
      await page.setViewportSize({ width: 1440, height: 1000 });
      await page.goto(`${b.url}/t/${TEAM}/projects/${PROJECT}/pipeline?env=production`);
      await liveIs(page, "production", 4);
      await page.locator('[data-testid="config-row"][data-key="API_TOKEN"]').waitFor();
      await page.getByTestId("release-row").first().waitFor();
      for (const id of ["env-promote", "env-rollback", "release-rollback", "config-form", "config-unset"]) expect(await page.getByTestId(id).count(), id).toBe(0);
      expect(await page.content()).not.toContain(SECRET);
      await page.screenshot({ path: path.join(SHOTS, "pipeline-viewer.png"), fullPage: true });
      await checkA11y(page);
      expect(errors).toEqual([]);
    } finally {
      await br.close();
    }
  }, 120_000);
});
