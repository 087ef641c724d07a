/**
 * The invitation link in a real headless Chromium: opening it asks the user to sign in, shows
 * a Join button, and joins only when it is pressed.
 */
import path from "node:path";
import type { BrowserContext } from "playwright-core";
import { launchBrowser, type Browser } from "./browser.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, useInstance } from "./harness.js";
import { createUser } from "./team-setup.js";

const PASSWORD = "dana-has-a-long-password";
const b = useInstance();
let ctx: BrowserContext;
let browser: Browser | undefined;

beforeAll(async () => {
  createUser(b, "dana", PASSWORD);
  expect((await b.berth(["team", "create", "crew"])).code).toBe(0);
  browser = await launchBrowser();
  ctx = browser.ctx;
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe("the invitation page", () => {
  it("signs in, then joins the team on Join; the link is spent after", async () => {
    const inv = await b.berth(["team", "invite", "crew", "--role", "member"]);
    expect(inv.code, inv.stderr).toBe(0);
    const link = inv.stdout.trim();
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(link);
    const form = page.getByTestId("login-form");
    await form.waitFor();
    await form.locator('input[name="username"]').fill("dana");
    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.locator('button[type="submit"]').click();
    const join = page.getByRole("button", { name: "Join team" });
    await join.waitFor();
    await page.screenshot({ path: path.join(ROOT, ".test-results", "screenshots", "invite-join.png") });
    // Signed in and looking at the page: not a member until Join.
    expect((await b.berth(["team", "members", "crew"])).stdout).not.toMatch(/dana/);
    await join.click();
    await expect.poll(() => page.getByTestId("invite-joined").textContent()).toContain("You joined team crew as member");
    expect((await b.berth(["team", "members", "crew"])).stdout).toMatch(/dana\s+member/);

    await page.goto(link);
    await page.getByRole("button", { name: "Join team" }).click();
    await expect.poll(() => page.getByTestId("invite-error").textContent()).toMatch(/already used/);
    await page.screenshot({ path: path.join(ROOT, ".test-results", "screenshots", "invite-used.png") });
  }, 90_000);
});
