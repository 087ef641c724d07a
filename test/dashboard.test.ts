/**
 * The dashboard in a real headless Chromium against a whole Berth (web, worker, Redis):
 * first-run set-up, the images table, running a container from the form, its live log and
 * exit status, the containers table, and signing out and back in.
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
  it("shows the set-up form on the first visit and creates the admin account", async () => {
    // As npm start prints it: the link carries the one-time set-up code.
    const code = fs.readFileSync(path.join(b.home, "setup.code"), "utf8").trim();
    await page.goto(`${b.url}/?setup=${code}`);
    const form = page.getByTestId("setup-form");
    await form.waitFor();
    await form.locator('input[name="username"]').fill(USER);
    await form.locator('input[name="password"]').fill(PASSWORD);
    await shot("setup");
    await form.locator('button[type="submit"]').click();
    await page.getByTestId("images-table").waitFor();
    await expect.poll(() => page.getByText(USER, { exact: true }).count()).toBeGreaterThan(0);
  });

  it("lists busybox in the images table", async () => {
    const table = page.getByTestId("images-table");
    await table.getByText("busybox:latest").waitFor();
    expect(await table.innerText()).toMatch(/busybox:latest/);
  });

  it("runs a command and shows its output live, its exit status, and the container", async () => {
    await expect.poll(() => page.getByTestId("run-image").inputValue()).toBe("busybox");
    await page.getByTestId("run-command").fill("echo hello-from-dashboard");
    await page.getByTestId("run-submit").click();

    const panel = page.getByTestId("log-panel");
    await panel.getByTestId("log-line").filter({ hasText: "hello-from-dashboard" }).waitFor();
    const exit = page.getByTestId("exit-status");
    await exit.waitFor();
    expect(await exit.getAttribute("data-exit-code")).toBe("0");
    expect(await exit.innerText()).toMatch(/\b0\b/);

    const row = page.getByTestId("containers-table").getByTestId("container-row").filter({ hasText: "echo hello-from-dashboard" });
    await row.waitFor();
    // Refreshed by socket events: the row reaches "exited" with code 0 without a reload.
    await expect.poll(() => row.getAttribute("data-state")).toBe("exited");
    expect(await row.innerText()).toMatch(/busybox:latest/);
    expect(await row.innerText()).toMatch(/\b0\b/);
    await shot("run");
  });

  it("styles stderr apart and reports a non-zero exit code", async () => {
    await page.getByTestId("run-command").fill("echo to-out; echo to-err >&2; exit 3");
    await page.getByTestId("run-submit").click();
    const exit = page.getByTestId("exit-status");
    await expect.poll(() => exit.getAttribute("data-exit-code")).toBe("3");
    const lines = page.getByTestId("log-panel").getByTestId("log-line");
    expect(await lines.filter({ hasText: "to-out" }).getAttribute("data-stream")).toBe("stdout");
    expect(await lines.filter({ hasText: "to-err" }).getAttribute("data-stream")).toBe("stderr");
  });

  it("signs out to the login form, refuses a wrong password, and signs back in", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    const form = page.getByTestId("login-form");
    await form.waitFor();
    await form.locator('input[name="username"]').fill(USER);
    await form.locator('input[name="password"]').fill("not-the-password");
    await form.locator('button[type="submit"]').click();
    await page.getByTestId("auth-error").getByText("invalid username or password").waitFor();
    await shot("login-refused");

    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.locator('button[type="submit"]').click();
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

    await page.reload();
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
