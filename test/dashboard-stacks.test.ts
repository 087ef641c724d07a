/**
 * The Stacks pages in real headless Chromium against a whole Berth: lena (member of crew) brings
 * the shop fixture up with the CLI; the list shows it with its running/total count and who brought
 * it up, the detail page its services with health and links to each container's logs and terminal,
 * and Down/Remove for lena; vic (viewer) sees the same pages with none of those buttons.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkA11y, launchBrowser, type Browser, signInAs } from "./browser.js";
import { CLI, ROOT, run, useInstance } from "./harness.js";
import { passwordOf, setUpTeam } from "./team-setup.js";

const TEAM = "crew";
const FIXTURE = path.join(ROOT, "test/fixtures/stacks/shop");
const SHOTS = path.join(ROOT, ".test-results", "screenshots");
const b = useInstance();
let work = "";
let dir = "";
let lenaToken = "";

const lena = (args: string[]) => {
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: lenaToken, BERTH_TEAM: TEAM, BERTH_HOME: b.home, XDG_CONFIG_HOME: `${b.home}/cfg-lena` };
  delete env.COMPOSE_PROJECT_NAME;
  return run(process.execPath, ["--", CLI, ...args], { cwd: dir, timeoutMs: 180_000, env });
};

const signIn = (ctx: BrowserContext, user: "lena" | "vic", errors: string[]): Promise<Page> => signInAs(ctx, b.url, user, passwordOf(user), errors, `${user}: `);

beforeAll(async () => {
  // `user create` prints the user's first API token: lena's drives the CLI.
  ({ lena: lenaToken } = await setUpTeam(b, TEAM, { lena: "member", vic: "viewer" }));
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-dash-stacks-"));
  dir = path.join(work, "shop");
  fs.cpSync(FIXTURE, dir, { recursive: true });
  fs.mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  if (dir) await lena(["stack", "rm", "-f"]).catch(() => undefined);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("stacks pages", () => {
  it("says how to bring a stack up when the team has none", async () => {
    const errors: string[] = [];
    const br: Browser = await launchBrowser();
    try {
      const page = await signIn(br.ctx, "vic", errors);
      await page.goto(`${b.url}/t/${TEAM}/stacks`);
      await page.getByTestId("stacks-empty").waitFor();
      expect(await page.getByTestId("stacks-empty").innerText()).toContain("berth stack up -d");
      await page.screenshot({ path: path.join(SHOTS, "stacks-empty.png"), fullPage: true });
      await checkA11y(page);
      expect(errors).toEqual([]);
    } finally {
      await br.close();
    }
  }, 90_000);

  it("lists the stack and shows its services to a member, with Down and Remove", async () => {
    const up = await lena(["stack", "up", "-d"]);
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    const errors: string[] = [];
    const br = await launchBrowser();
    try {
      const page = await signIn(br.ctx, "lena", errors);
      await page.goto(`${b.url}/t/${TEAM}/stacks`);
      const row = page.getByTestId("stack-row").filter({ hasText: "shop" });
      await row.waitFor();
      await expect.poll(() => row.getByTestId("stack-running").innerText()).toBe("3/3");
      expect(await row.innerText()).toContain("lena");
      await page.screenshot({ path: path.join(SHOTS, "stacks-list.png"), fullPage: true });
      await checkA11y(page);

      await row.getByRole("link", { name: "shop" }).click();
      await page.waitForURL(`${b.url}/t/${TEAM}/stacks/shop`);
      const rows = page.getByTestId("stack-container");
      await expect.poll(async () => (await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-name")))).join(",")).toBe("shop-db-1,shop-web-1,shop-worker-1");
      await expect.poll(() => rows.filter({ hasText: "shop-db-1" }).innerText(), { timeout: 30_000 }).toContain("healthy");
      expect(await rows.filter({ hasText: "shop-db-1" }).getByTestId("stack-logs-link").getAttribute("href")).toBe(`/t/${TEAM}/containers/shop-db-1/logs`);
      expect(await rows.filter({ hasText: "shop-web-1" }).getByTestId("stack-terminal-link").getAttribute("href")).toBe(`/t/${TEAM}/containers/shop-web-1/terminal`);
      expect(await page.getByTestId("stack-down").isVisible()).toBe(true);
      expect(await page.getByTestId("stack-remove").isVisible()).toBe(true);
      await page.screenshot({ path: path.join(SHOTS, "stacks-detail.png"), fullPage: true });
      await checkA11y(page);
      expect(errors).toEqual([]);
    } finally {
      await br.close();
    }
  }, 240_000);

  it("shows a viewer the same stack with no Down, Remove or terminal", async () => {
    const errors: string[] = [];
    const br = await launchBrowser();
    try {
      const page = await signIn(br.ctx, "vic", errors);
      await page.goto(`${b.url}/t/${TEAM}/stacks/shop`);
      await page.getByTestId("stack-container").first().waitFor();
      expect(await page.getByTestId("stack-container").count()).toBe(3);
      expect(await page.getByTestId("stack-logs-link").count()).toBe(3);
      expect(await page.getByTestId("stack-terminal-link").count()).toBe(0);
      expect(await page.getByTestId("stack-down").count()).toBe(0);
      expect(await page.getByTestId("stack-remove").count()).toBe(0);
      await page.screenshot({ path: path.join(SHOTS, "stacks-detail-viewer.png"), fullPage: true });
      await checkA11y(page);
      expect(errors).toEqual([]);
    } finally {
      await br.close();
    }
  }, 90_000);

  it("takes the stack down from the page for a member", async () => {
    const errors: string[] = [];
    const br = await launchBrowser();
    try {
      const page = await signIn(br.ctx, "lena", errors);
      await page.goto(`${b.url}/t/${TEAM}/stacks/shop`);
      await page.getByTestId("stack-container").first().waitFor();
      await page.getByTestId("stack-down").click();
      await page.getByRole("dialog").getByRole("button", { name: "Down" }).click();
      await page.getByTestId("stack-empty").waitFor({ timeout: 60_000 });
      const ls = await lena(["stack", "ls"]);
      expect(ls.stdout).toMatch(/shop\s+down/);
      expect(errors).toEqual([]);
    } finally {
      await br.close();
    }
  }, 120_000);
});
