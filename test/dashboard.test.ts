/**
 * The dashboard in a real headless Chromium against a whole Berth (web, worker, Redis):
 * first-run set-up, the images page, running a container from the Run dialog, its state and
 * exit status followed live, the containers list, signing out and back in, and registry search.
 */
import fs from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { launchBrowser, type Browser } from "./browser.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";
import { pushImage, token } from "./registry-helpers.js";

const USER = "captain";
const PASSWORD = "a-long-enough-password";

let b: Instance;
let ctx: BrowserContext;
let page: Page;
let browser: Browser | undefined;
const pageErrors: string[] = [];
/** Screenshots of each step, to look at as a user would (README's tour uses them). */
const SHOTS = path.join(import.meta.dirname, "..", ".test-results", "screenshots");
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `dashboard-${name}.png`), fullPage: true });

beforeAll(async () => {
  b = await startInstance();
  browser = await launchBrowser();
  ctx = browser.ctx;
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on("pageerror", (err) => pageErrors.push(err.message));
});

afterAll(async () => {
  await browser?.close();
  await b?.stop();
});

describe("dashboard", () => {
  it("shows the set-up form on the first visit, creates the admin account and opens their team", async () => {
    // As npm start prints it: the link carries the one-time set-up code.
    const code = fs.readFileSync(path.join(b.home, "setup.code"), "utf8").trim();
    await page.goto(`${b.url}/?setup=${code}`);
    const form = page.getByTestId("setup-form");
    await form.waitFor();
    await form.locator('input[name="username"]').fill(USER);
    await form.locator('input[name="password"]').fill(PASSWORD);
    await shot("setup");
    await form.locator('button[type="submit"]').click();
    // Their personal team's overview, with their name in the user menu.
    await page.waitForURL((u) => u.pathname === `/t/${USER}`);
    await page.getByTestId("user-menu").filter({ hasText: USER }).waitFor();
    await page.getByTestId("overview-running").waitFor();
  });

  it("lists busybox on the images page", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Images" }).click();
    const table = page.getByTestId("images-table");
    await table.getByText("busybox:latest").waitFor();
    expect(await table.innerText()).toMatch(/busybox:latest/);
  });

  it("runs a command from the Run dialog, opens the container, and follows it to its exit status", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Containers" }).click();
    await page.getByTestId("run-open").first().click();
    const dialog = page.getByTestId("run-dialog");
    await expect.poll(() => dialog.getByTestId("run-image").inputValue()).toBe("busybox");
    await dialog.getByTestId("run-command").fill("echo hello-from-dashboard");
    await dialog.getByTestId("run-name").fill("hello");
    await dialog.getByTestId("run-submit").click();
    await page.waitForURL((u) => u.pathname === `/t/${USER}/containers/hello`);
    // Refreshed by socket events: the page reaches "exited" with code 0 without a reload.
    await expect.poll(() => page.getByTestId("exit-code").textContent().catch(() => null)).toBe("0");
    expect(await page.getByTestId("container-detail").innerText()).toMatch(/echo hello-from-dashboard/);

    await page.getByRole("link", { name: "Containers", exact: true }).first().click();
    const row = page.getByTestId("containers-table").getByTestId("container-row").filter({ hasText: "echo hello-from-dashboard" });
    await row.waitFor();
    await expect.poll(() => row.getAttribute("data-state")).toBe("exited");
    expect(await row.innerText()).toMatch(/busybox:latest/);
    expect(await row.innerText()).toMatch(/exited \(0\)/);
    await shot("run");
  });

  it("reports a non-zero exit code", async () => {
    await page.getByTestId("run-open").first().click();
    const dialog = page.getByTestId("run-dialog");
    await dialog.getByTestId("run-command").fill("echo to-out; echo to-err >&2; exit 3");
    await dialog.getByTestId("run-submit").click();
    await page.waitForURL((u) => /\/containers\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith("/hello"));
    await expect.poll(() => page.getByTestId("exit-code").textContent().catch(() => null)).toBe("3");
  });

  it("signs out to the login form, refuses a wrong password, and signs back in", async () => {
    await page.getByTestId("user-menu").click();
    await page.getByTestId("sign-out").click();
    const form = page.getByTestId("login-form");
    await form.waitFor();
    await form.locator('input[name="username"]').fill(USER);
    await form.locator('input[name="password"]').fill("not-the-password");
    await form.locator('button[type="submit"]').click();
    await page.getByTestId("auth-error").getByText("invalid username or password").waitFor();
    await shot("login-refused");

    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.locator('button[type="submit"]').click();
    await page.waitForURL((u) => u.pathname === `/t/${USER}`);
    await page.goto(`${b.url}/t/${USER}/containers`);
    await page.getByTestId("containers-table").getByText("echo hello-from-dashboard").waitFor();
    // A reload keeps the session.
    await page.reload();
    await page.getByTestId("containers-table").getByText("echo hello-from-dashboard").waitFor();
    expect(pageErrors).toEqual([]);
  });

  it("searches the registry: a public repository with its description, visibility and tags", async () => {
    // Another user's repositories: one made public with a description, one left private.
    const bob = (await b.berth(["user", "create", "bob"])).stdout.trim();
    expect(bob).toMatch(/^berth_/);
    const creds = { user: "bob", pass: bob };
    const t = await token(b.url, ["repository:bob/harbor-app:pull,push", "repository:bob/harbor-secret:pull,push"], creds);
    await pushImage(b.url, t.token, "bob/harbor-app", "1.0");
    await pushImage(b.url, t.token, "bob/harbor-app", "latest");
    await pushImage(b.url, t.token, "bob/harbor-secret", "1.0");
    expect((await b.berth(["repo", "set", "bob/harbor-app", "--public", "--description", "A lighthouse keeper's logbook"])).code).toBe(0);

    // The search sits in the images page's Pull dialog (search, then pull what was found).
    await page.goto(`${b.url}/t/${USER}/images`);
    await page.getByTestId("pull-open").click();
    await page.getByTestId("pull-search").locator("summary").click();
    const search = page.getByTestId("repo-search");
    await search.fill("lighthouse");
    const results = page.getByTestId("repo-results");
    const row = results.getByTestId("repo-row").filter({ hasText: "bob/harbor-app" });
    await row.waitFor();
    expect(await row.getAttribute("data-visibility")).toBe("public");
    expect(await row.innerText()).toMatch(/A lighthouse keeper's logbook/);
    expect(await row.innerText()).toMatch(/\bpublic\b/);
    expect(await row.getByTestId("repo-tags").innerText()).toBe("2");
    // Only the match is listed.
    await expect.poll(() => results.getByTestId("repo-row").count()).toBe(1);

    // By name; the signed-in admin also sees the private one, marked so.
    await search.fill("harbor");
    await expect.poll(() => results.getByTestId("repo-row").count()).toBe(2);
    expect(await results.getByTestId("repo-row").filter({ hasText: "bob/harbor-secret" }).getAttribute("data-visibility")).toBe("private");

    await search.fill("no-such-repository-anywhere");
    await results.getByText("No repository matches").waitFor();
    await shot("search-empty");
    await expect.poll(() => results.getByTestId("repo-row").count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
