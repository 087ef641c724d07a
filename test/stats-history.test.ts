/**
 * Stats history against a whole Berth: the worker samples every running container into a
 * bounded Redis history, the API serves it, and the pages show one container's charts and all
 * running containers sorted by CPU or memory, live, in a real headless Chromium.
 */
import fs from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statsCoarseKey, statsFineKey, statsFineMax, STATS_COARSE_MAX, type StatsRate } from "@berth/core";
import { connectRedis, type Redis } from "@berth/core/redis";
import { checkA11y, launchBrowser, type Browser, signInAs } from "./browser.js";
import { ROOT, useInstance } from "./harness.js";
import { createUser } from "./team-setup.js";

const INTERVAL_MS = 500;
const TEAM = "crew";
const PASSWORDS = { lena: "lena-has-a-long-password", vic: "vic-has-a-long-password" };
const b = useInstance({ env: { BERTH_STATS_INTERVAL_MS: String(INTERVAL_MS) } });
let browser: Browser | undefined;
let redis: Redis;
const SHOTS = path.join(ROOT, ".test-results", "screenshots");
const crew = (args: string[]) => b.berth(args, { env: { BERTH_TEAM: TEAM } });

async function api<T>(proc: string, input?: unknown): Promise<T> {
  const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await fetch(`${b.url}/api/trpc/${proc}${q}`, { headers: { authorization: `Bearer ${b.token}`, "x-berth-team": TEAM } });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!body.result) throw new Error(`${proc}: ${body.error?.message}`);
  return body.result.data;
}

const signIn = (ctx: BrowserContext, user: keyof typeof PASSWORDS, errors: string[]): Promise<Page> => signInAs(ctx, b.url, user, PASSWORDS[user], errors, "");

beforeAll(async () => {
  for (const [user, password] of Object.entries(PASSWORDS)) createUser(b, user, password);
  expect((await b.berth(["team", "create", TEAM])).code).toBe(0);
  expect((await b.berth(["team", "add", TEAM, "lena", "--role", "member"])).code).toBe(0);
  expect((await b.berth(["team", "add", TEAM, "vic", "--role", "viewer"])).code).toBe(0);
  // busy spins a CPU; hog holds ~40 MB; idle sleeps.
  for (const [name, cmd] of [
    ["busy", "while :; do :; done"],
    ["hog", `awk 'BEGIN { s = sprintf("%40000000s", "x"); system("sleep 1000") }'`],
    ["idle", "sleep 1000"],
  ]) {
    const r = await crew(["run", "-d", "--name", name!, "busybox", "sh", "-c", cmd!]);
    expect(r.code, r.stderr).toBe(0);
  }
  redis = connectRedis(`unix://${path.join(b.home, "redis", "redis.sock")}`);
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  redis?.disconnect();
  await crew(["rm", "-f", "busy", "hog", "idle"]).catch(() => undefined);
});

describe("stats history", () => {
  it("fills as the worker samples, and stays bounded", async () => {
    type H = { id: string; points: StatsRate[] };
    await expect.poll(async () => (await api<H>("stats.history", { id: "busy" })).points.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(6);
    const h = await api<H>("stats.history", { id: "busy" });
    // A spinning shell uses what CPU it gets (a share of a busy machine here), a sleeping one none.
    const busyCpu = Math.max(...h.points.map((p) => p.cpuPercent));
    expect(busyCpu).toBeGreaterThan(5);
    for (let i = 1; i < h.points.length; i++) expect(h.points[i]!.time).toBeGreaterThan(h.points[i - 1]!.time);
    const idle = await api<H>("stats.history", { id: "idle", range: "24h" });
    expect(idle.points.length).toBeGreaterThan(0);
    expect(Math.max(...idle.points.map((p) => p.cpuPercent))).toBeLessThan(busyCpu / 2);
    // In Redis: capped lists that expire by themselves (24 h after the last sample).
    expect(await redis.llen(statsFineKey(h.id))).toBeLessThanOrEqual(statsFineMax(INTERVAL_MS));
    expect(await redis.llen(statsCoarseKey(h.id))).toBeLessThanOrEqual(STATS_COARSE_MAX);
    expect(await redis.llen(statsCoarseKey(h.id))).toBeGreaterThanOrEqual(1);
    expect(await redis.pttl(statsFineKey(h.id))).toBeGreaterThan(23 * 3600_000);
    // A stopped container is no longer sampled.
    expect((await crew(["stop", "-t", "0", "idle"])).code).toBe(0);
    const n = await redis.llen(statsFineKey(idle.id));
    await new Promise((r) => setTimeout(r, INTERVAL_MS * 4));
    expect(await redis.llen(statsFineKey(idle.id))).toBe(n);
  }, 60_000);

  it("shows one container's charts, and all running containers sorted by CPU or memory", async () => {
    const errors: string[] = [];
    const ctx = browser!.ctx;
    const page = await signIn(ctx, "lena", errors);
    await page.goto(`${b.url}/t/${TEAM}/containers/busy/stats`);
    await expect.poll(async () => Number(await page.getByTestId("chart-cpu").getAttribute("data-points")), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    await page.waitForTimeout(300); // uPlot draws on the next frame
    await page.screenshot({ path: path.join(SHOTS, "stats-container.png"), fullPage: true });
    await checkA11y(page);

    await page.goto(`${b.url}/t/${TEAM}/stats`);
    const names = () => page.getByTestId("stats-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
    await expect.poll(names, { timeout: 20_000 }).toHaveLength(2); // idle was stopped
    await expect.poll(async () => (await page.getByTestId("stats-row").first().getAttribute("data-cpu")) !== "", { timeout: 20_000 }).toBe(true);
    await page.getByTestId("sort-cpu").click();
    await expect.poll(names).toEqual(["busy", "hog"]);
    expect(await page.getByTestId("sort-cpu").locator("xpath=..").getAttribute("aria-sort")).toBe("descending");
    await page.getByTestId("sort-memory").click();
    const mem = await page.getByTestId("stats-row").evaluateAll((rows) => rows.map((r) => `${r.getAttribute("data-name")}=${r.getAttribute("data-memory")}`));
    console.log(`[stats-history] memory: ${mem.join(" ")}`);
    await expect.poll(names).toEqual(["hog", "busy"]);
    expect(page.url()).toMatch(/\?sort=memory$/);
    await page.screenshot({ path: path.join(SHOTS, "stats-all.png"), fullPage: true });
    await checkA11y(page);
    // The sort is in the URL: a shared link opens the same view.
    await page.reload();
    await expect.poll(names, { timeout: 20_000 }).toEqual(["hog", "busy"]);
    expect(errors).toEqual([]);
  }, 90_000);

  it("loads both pages for a viewer, and says what to do when nothing runs", async () => {
    const errors: string[] = [];
    const b2 = await launchBrowser();
    try {
      const page = await signIn(b2.ctx, "vic", errors);
      await page.goto(`${b.url}/t/${TEAM}/containers/hog/stats`);
      await page.getByTestId("stats-charts").waitFor({ timeout: 20_000 });
      await page.goto(`${b.url}/t/${TEAM}/stats`);
      await page.getByTestId("stats-table").waitFor();
      expect((await crew(["stop", "-t", "0", "busy", "hog"])).code).toBe(0);
      await page.getByTestId("stats-empty").waitFor({ timeout: 20_000 });
      expect(await page.getByTestId("stats-empty").innerText()).toMatch(/berth run -d/);
      await page.screenshot({ path: path.join(SHOTS, "stats-empty.png"), fullPage: true });
      await checkA11y(page);
      expect(errors).toEqual([]);
    } finally {
      await b2.close();
    }
  }, 60_000);
});
