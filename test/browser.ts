import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

export const CHROMIUM = "/usr/bin/chromium";

export interface Browser {
  ctx: BrowserContext;
  close(): Promise<void>;
}

/** Debian's headless Chromium with a fresh profile, as NOTES.md says it runs as root here. */
/**
 * Console errors that come from this machine, not the page: Chromium reports
 * net::ERR_NETWORK_CHANGED when the host's interfaces change, which Berth's own tests do all
 * the time (bridges and veths come and go) while a page loads.
 */
export const hostNoise = (text: string): boolean => /net::ERR_NETWORK_CHANGED/.test(text);

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh --test (apt-get install chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "berth-chromium-"));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  ctx.setDefaultTimeout(20_000);
  return {
    ctx,
    async close() {
      await ctx.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Runs axe-core on the page as it is now and fails on serious or critical findings (the issue's
 * bar), listing each rule with the elements it flagged so the fix is findable.
 */
export async function checkA11y(page: Page, opts: { exclude?: string[] } = {}): Promise<void> {
  // A client-side navigation sets the new page's <title> a moment after its content: wait for it,
  // so axe judges the page, not the instant between two (every page has a title; axe still checks).
  await page.waitForFunction(() => document.title !== "", undefined, { timeout: 10_000 }).catch(() => undefined);
  let builder = new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]);
  for (const sel of opts.exclude ?? []) builder = builder.exclude(sel);
  const { violations } = await builder.analyze();
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length === 0) return;
  const lines = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(" ")} — ${n.failureSummary?.replace(/\s+/g, " ") ?? ""}`).join("\n")}`);
  throw new Error(`axe found ${bad.length} serious/critical issue(s) on ${page.url()}:\n${lines.join("\n")}`);
}

/**
 * Signs `user` in through the dashboard's form in `ctx`'s first page; the page's errors and
 * console errors (host noise left out) are pushed to `errors`, each prefixed with `label`.
 */
export async function signInAs(ctx: BrowserContext, url: string, user: string, password: string, errors: string[], label = ""): Promise<Page> {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on("pageerror", (err) => errors.push(`${label}${err.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !hostNoise(m.text())) errors.push(`${label}${m.text()}`);
  });
  await page.goto(url);
  const form = page.getByTestId("login-form");
  await form.locator('input[name="username"]').fill(user);
  await form.locator('input[name="password"]').fill(password);
  await form.locator('button[type="submit"]').click();
  await form.waitFor({ state: "detached" });
  return page;
}
