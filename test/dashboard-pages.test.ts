/**
 * The dashboard's pages (shell, overview, containers, container detail and files, images,
 * builds) in a real headless Chromium against a whole Berth, for a member and for a viewer of
 * one team: each loads without console errors, passes axe (no serious or critical findings),
 * shows what the role may do and hides what it may not, and is saved as a screenshot.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkA11y, launchBrowser, type Browser, hostNoise } from "./browser.js";
import { ROOT, useInstance } from "./harness.js";
import { createUser } from "./team-setup.js";

/** Waits for live state as the page shows it: socket events on a loaded 2-core machine can take seconds. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000 });

const PASSWORD = "a-long-enough-password";
const TEAM = "crew";
const SHOTS = path.join(ROOT, ".test-results", "screenshots");
const b = useInstance();

interface User {
  name: string;
  browser: Browser;
  page: Page;
  errors: string[];
}
const users: Record<"member" | "viewer", User | undefined> = { member: undefined, viewer: undefined };
let contextDir = "";

/** The CLI as the site admin, acting in the test's team. */
const inTeam = (args: string[], timeoutMs?: number) => b.berth(args, { env: { BERTH_TEAM: TEAM }, ...(timeoutMs ? { timeoutMs } : {}) });

async function signIn(role: "member" | "viewer", name: string): Promise<User> {
  const browser = await launchBrowser();
  const page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !hostNoise(m.text())) errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  await page.goto(`${b.url}/?next=${encodeURIComponent(`/t/${TEAM}`)}`);
  const form = page.getByTestId("login-form");
  await form.locator('input[name="username"]').fill(name);
  await form.locator('input[name="password"]').fill(PASSWORD);
  await form.locator('button[type="submit"]').click();
  await page.waitForURL((u) => u.pathname === `/t/${TEAM}`);
  const u = { name, browser, page, errors };
  users[role] = u;
  return u;
}

/** How many processes on this host run exactly `cmd` (argv joined by spaces). */
function processesRunning(cmd: string): number {
  let n = 0;
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ") === cmd) n++;
    } catch {
      // Gone while read.
    }
  }
  return n;
}

/** Opens `path`, waits for `ready`, checks axe and the console, saves `<shot>.png`. */
async function visit(u: User, urlPath: string, ready: string, shot: string): Promise<Page> {
  const { page } = u;
  await page.goto(`${b.url}${urlPath}`);
  await page.getByTestId(ready).first().waitFor();
  // The role arrives with the first queries: the side navigation's role label says it is known.
  await poll(() => page.getByTestId("team-role").textContent()).not.toBe("");
  await checkA11y(page);
  await page.screenshot({ path: path.join(SHOTS, `${shot}.png`), fullPage: true });
  expect(u.errors).toEqual([]);
  return page;
}

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  createUser(b, "mira", PASSWORD);
  createUser(b, "vic", PASSWORD);
  expect((await b.berth(["team", "create", TEAM])).code).toBe(0);
  expect((await b.berth(["team", "add", TEAM, "mira", "--role", "member"])).code).toBe(0);
  expect((await b.berth(["team", "add", TEAM, "vic", "--role", "viewer"])).code).toBe(0);
  const web = await inTeam(["run", "-d", "--name", "web", "-e", "GREETING=ahoy", "-p", "127.0.0.1:0:8080", "busybox", "sh", "-c", "echo ahoy > /tmp/greeting; sleep 1d"]);
  expect(web.code, web.stderr).toBe(0);
  const done = await inTeam(["run", "--name", "done", "busybox", "true"]);
  expect(done.code, done.stderr).toBe(0);
  contextDir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-dash-build-"));
  fs.writeFileSync(path.join(contextDir, "Dockerfile"), "FROM busybox\nRUN echo built > /built\nCMD [\"cat\", \"/built\"]\n");
  const built = await inTeam(["build", "-t", "crew-app:1", contextDir], 120_000);
  expect(built.code, built.stderr).toBe(0);
  await signIn("member", "mira");
  await signIn("viewer", "vic");
}, 240_000);

afterAll(async () => {
  await users.member?.browser.close();
  await users.viewer?.browser.close();
  if (contextDir) fs.rmSync(contextDir, { recursive: true, force: true });
});

describe("dashboard pages", () => {
  it("the shell: every section in the side navigation, the current one highlighted, the team and role shown", async () => {
    const u = users.member!;
    const page = await visit(u, `/t/${TEAM}`, "overview-running", "pages-overview-member");
    const nav = page.getByRole("navigation", { name: "Main" });
    for (const label of ["Overview", "Containers", "Terminals", "Stats", "Images", "Builds", "Registry", "Networks", "Volumes", "Events", "Team settings", "Teams", "API tokens"]) {
      await nav.getByRole("link", { name: label, exact: true }).waitFor();
    }
    expect(await nav.getByRole("link", { name: "Overview" }).getAttribute("aria-current")).toBe("page");
    expect(await nav.getByRole("link", { name: "Containers" }).getAttribute("aria-current")).toBeNull();
    expect(await page.getByTestId("team-switcher").innerText()).toMatch(/crew[\s\S]*member/);
    // A member is not the team's admin: no audit log, no hosts (the site admin's).
    expect(await nav.getByRole("link", { name: "Audit log" }).count()).toBe(0);
    expect(await nav.getByRole("link", { name: "Hosts" }).count()).toBe(0);
    // The overview lists the running container and the build.
    await page.getByTestId("overview-running").getByRole("link", { name: "web" }).waitFor();
    await page.getByTestId("overview-builds").getByText("crew-app:1").waitFor();
  });

  it("the team switcher lists the user's teams; the user menu switches to the dark theme", async () => {
    const { page } = users.member!;
    await page.getByTestId("team-switcher").click();
    await page.getByRole("menuitem", { name: /^mira/ }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByTestId("user-menu").click();
    await page.getByRole("menuitemradio", { name: "Dark" }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await checkA11y(page);
    await page.screenshot({ path: path.join(SHOTS, "pages-overview-member-dark.png"), fullPage: true });
    // Kept across a reload, before the page paints.
    await page.reload();
    await page.getByTestId("overview-running").waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await page.getByTestId("user-menu").click();
    await page.getByRole("menuitemradio", { name: "System" }).click();
    // "System" is resolved into data-theme (one dark palette in the stylesheet), and follows the system live.
    const shown = () => page.evaluate(() => ({ theme: document.documentElement.dataset.theme, bg: getComputedStyle(document.body).backgroundColor }));
    expect(await shown()).toEqual({ theme: "light", bg: "rgb(246, 247, 249)" });
    await page.emulateMedia({ colorScheme: "dark" });
    await poll(shown).toEqual({ theme: "dark", bg: "rgb(15, 18, 24)" });
    // A dark system on a fresh load: dark before the first paint (the theme script runs in <head>).
    await page.reload({ waitUntil: "commit" });
    await page.waitForFunction(() => document.body !== null);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await page.getByTestId("overview-running").waitFor();
    expect(await shown()).toEqual({ theme: "dark", bg: "rgb(15, 18, 24)" });
    await page.emulateMedia({ colorScheme: "light" });
    await poll(shown).toEqual({ theme: "light", bg: "rgb(246, 247, 249)" });
    await page.emulateMedia({ colorScheme: null });
  });

  it("containers: a member gets run and per-row actions; the list filters, and follows state changes live", async () => {
    const u = users.member!;
    const page = await visit(u, `/t/${TEAM}/containers`, "containers-table", "pages-containers-member");
    const rows = page.getByTestId("container-row");
    await poll(() => rows.count()).toBe(2);
    expect(await page.getByTestId("run-open").count()).toBe(1);
    const web = rows.filter({ hasText: "web" });
    expect(await web.getAttribute("data-state")).toBe("running");
    expect(await web.getByTestId("action-stop").count()).toBe(1);
    await page.getByTestId("filter-state").selectOption("exited");
    await poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute("data-name")).toBe("done");
    expect(page.url()).toContain("state=exited");
    await page.getByTestId("filter-state").selectOption("all");
    await page.getByTestId("filter-name").fill("we");
    await poll(() => rows.count()).toBe(1);
    await page.getByTestId("filter-name").fill("");
    // Changes made in quick succession all hold (building each URL from the last rendered one reverted them).
    await poll(() => rows.count()).toBe(2);
    expect(page.url()).not.toMatch(/[?&](q|state)=/);
    // A container started and stopped from the CLI shows up and changes state without a reload.
    expect((await inTeam(["run", "-d", "--name", "brief", "busybox", "sleep", "1d"])).code).toBe(0);
    const brief = rows.filter({ hasText: "brief" });
    await poll(() => brief.getAttribute("data-state")).toBe("running");
    expect((await inTeam(["stop", "-t", "0", "brief"])).code).toBe(0);
    await poll(() => brief.getAttribute("data-state")).toBe("exited");
    expect(u.errors).toEqual([]);
  });

  it("containers: a viewer sees the list without run, stop, remove or terminal", async () => {
    const u = users.viewer!;
    const page = await visit(u, `/t/${TEAM}/containers`, "containers-table", "pages-containers-viewer");
    await poll(() => page.getByTestId("container-row").count()).toBe(3);
    for (const id of ["run-open", "action-stop", "action-remove", "action-start", "action-restart"]) expect(await page.getByTestId(id).count(), id).toBe(0);
  });

  it("container detail: state, config, environment, ports as links, processes, and the tabs of its sub-pages", async () => {
    const u = users.member!;
    const page = await visit(u, `/t/${TEAM}/containers/web`, "container-processes", "pages-container-member");
    const detail = page.getByTestId("container-detail");
    await detail.getByRole("cell", { name: "GREETING", exact: true }).waitFor();
    await detail.getByText("ahoy", { exact: true }).waitFor();
    const port = page.getByTestId("port-link");
    await port.waitFor();
    expect(await port.getAttribute("href")).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    // top: the sleep is one of its processes.
    await page.getByTestId("container-processes").getByText("sleep 1d").first().waitFor();
    const tabs = page.getByRole("navigation", { name: "Container views" });
    for (const [label, sub] of [["Logs", "/logs"], ["Stats", "/stats"], ["Terminal", "/terminal"], ["Files", "/files"]] as const) {
      expect(await tabs.getByRole("link", { name: label }).getAttribute("href")).toBe(`/t/${TEAM}/containers/web${sub}`);
    }
    expect(await tabs.getByRole("link", { name: "Overview" }).getAttribute("aria-current")).toBe("page");
    for (const id of ["action-stop", "action-restart", "action-remove", "action-pause"]) expect(await page.getByTestId(id).count(), id).toBe(1);
    // An exited one says how it ended.
    await visit(u, `/t/${TEAM}/containers/done`, "container-detail", "pages-container-exited-member");
    expect(await page.getByTestId("exit-code").innerText()).toBe("0");
  });

  it("container detail for a viewer: no lifecycle buttons and no terminal tab", async () => {
    const u = users.viewer!;
    const page = await visit(u, `/t/${TEAM}/containers/web`, "container-processes", "pages-container-viewer");
    for (const id of ["action-stop", "action-restart", "action-remove", "action-pause"]) expect(await page.getByTestId(id).count(), id).toBe(0);
    const tabs = page.getByRole("navigation", { name: "Container views" });
    expect(await tabs.getByRole("link", { name: "Terminal" }).count()).toBe(0);
    await tabs.getByRole("link", { name: "Logs" }).waitFor();
  });

  it("files: browses into a directory and downloads a file as itself", async () => {
    const u = users.member!;
    const page = await visit(u, `/t/${TEAM}/containers/web/files`, "files-table", "pages-files-member");
    await page.getByTestId("file-row").filter({ has: page.locator('[data-name="bin"]') }).count();
    await page.locator('[data-testid="file-row"][data-name="tmp"]').getByRole("link").click();
    await page.waitForURL((url) => url.searchParams.get("path") === "/tmp");
    const row = page.locator('[data-testid="file-row"][data-name="greeting"]');
    await row.waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), row.getByTestId("file-download").click()]);
    expect(download.suggestedFilename()).toBe("greeting");
    const saved = await download.path();
    expect(fs.readFileSync(saved, "utf8")).toBe("ahoy\n");
    await checkA11y(page);
    await page.screenshot({ path: path.join(SHOTS, "pages-files-tmp-member.png"), fullPage: true });
    expect(u.errors).toEqual([]);
  });

  it("files for a viewer: says why there is nothing to browse", async () => {
    const page = await visit(users.viewer!, `/t/${TEAM}/containers/web/files`, "empty-state", "pages-files-viewer");
    expect(await page.getByTestId("empty-state").innerText()).toMatch(/member/);
  });

  it("images: list with tags and sizes; a member gets run, tag, push and delete, a viewer none of them", async () => {
    const page = await visit(users.member!, `/t/${TEAM}/images`, "images-table", "pages-images-member");
    const row = page.locator('[data-testid="image-row"][data-ref="crew-app:1"]');
    await row.waitFor();
    expect(await row.innerText()).toMatch(/\d+(\.\d+)? (B|kB|MB)/);
    for (const id of ["image-run", "image-tag", "image-push", "image-rm"]) expect(await row.getByTestId(id).count(), id).toBe(1);
    const vpage = await visit(users.viewer!, `/t/${TEAM}/images`, "images-table", "pages-images-viewer");
    await vpage.locator('[data-testid="image-row"][data-ref="crew-app:1"]').waitFor();
    for (const id of ["image-run", "image-tag", "image-push", "image-rm", "build-open"]) expect(await vpage.getByTestId(id).count(), id).toBe(0);
  });

  it("image detail: layers and history; tag from the dialog adds a tag", async () => {
    const u = users.member!;
    const page = await visit(u, `/t/${TEAM}/images/crew-app:1`, "image-history", "pages-image-member");
    await page.getByTestId("image-history").getByText("echo built > /built").waitFor();
    expect(await page.getByTestId("image-layers").locator("li").count()).toBeGreaterThanOrEqual(2);
    await page.getByTestId("image-tag").click();
    await page.getByTestId("tag-target").fill("crew-app:stable");
    await page.getByTestId("tag-submit").click();
    await page.getByTestId("tag-dialog").waitFor({ state: "detached" });
    await poll(async () => (await inTeam(["images"])).stdout).toMatch(/crew-app\s+stable/);
    expect(u.errors).toEqual([]);
  });

  it("run dialog: runs a container from an image and opens its page", async () => {
    const u = users.member!;
    const page = await visit(u, `/t/${TEAM}/images`, "images-table", "pages-images-member-2");
    await page.locator('[data-testid="image-row"][data-ref="crew-app:1"]').getByTestId("image-run").click();
    const dialog = page.getByTestId("run-dialog");
    expect(await dialog.getByTestId("run-image").inputValue()).toBe("crew-app:1");
    await dialog.getByTestId("run-name").fill("from-dialog");
    await page.screenshot({ path: path.join(SHOTS, "pages-run-dialog-member.png") });
    await dialog.getByTestId("run-submit").click();
    await page.waitForURL((url) => url.pathname === `/t/${TEAM}/containers/from-dialog`);
    await page.getByTestId("container-detail").waitFor();
    await poll(async () => (await inTeam(["ps", "-a"])).stdout).toMatch(/Exited \(0\).*from-dialog/);
    expect(u.errors).toEqual([]);
  });

  it("builds: history for a member and a viewer; a viewer gets no New build", async () => {
    const page = await visit(users.member!, `/t/${TEAM}/builds`, "builds-history", "pages-builds-member");
    const row = page.getByTestId("build-row").filter({ hasText: "crew-app:1" });
    expect(await row.getAttribute("data-status")).toBe("succeeded");
    expect(await page.getByTestId("build-open").count()).toBe(1);
    const vpage = await visit(users.viewer!, `/t/${TEAM}/builds`, "builds-history", "pages-builds-viewer");
    expect(await vpage.getByTestId("build-open").count()).toBe(0);
    expect(await vpage.getByTestId("build-retry").count()).toBe(0);
  });

  it("a build from the browser: uploads a Dockerfile, shows the steps live with CACHED and timings, then the image", async () => {
    const u = users.member!;
    const page = await visit(u, `/t/${TEAM}/builds?new=1`, "build-dialog", "pages-build-dialog-member");
    await page.getByTestId("build-file").setInputFiles({ name: "Dockerfile", mimeType: "text/plain", buffer: Buffer.from("FROM busybox\nRUN echo built > /built\nCMD [\"cat\", \"/built\"]\n") });
    await page.getByTestId("build-tags").fill("crew-web:2");
    await page.getByTestId("build-submit").click();
    await page.waitForURL((url) => /^\/t\/crew\/builds\/[0-9a-f-]{36}$/.test(url.pathname));
    await page.getByTestId("build-success").waitFor({ timeout: 60_000 });
    const out = page.getByTestId("build-output");
    await out.getByText("Step 2/3 : RUN echo built > /built").waitFor();
    // The same RUN as the CLI's build before: the cache answers it.
    await out.getByText(" ---> CACHED").first().waitFor();
    expect(await out.innerText()).toMatch(/ ---> \S+ \(\d+(\.\d+)?m?s\)/);
    expect(await page.getByTestId("build-status").innerText()).toBe("succeeded");
    await checkA11y(page);
    await page.screenshot({ path: path.join(SHOTS, "pages-build-member.png"), fullPage: true });
    expect((await inTeam(["images"])).stdout).toMatch(/crew-web\s+2/);
    expect(u.errors).toEqual([]);
  });

  it("a failing build names the Dockerfile line of the failing step; retry runs it again", async () => {
    const u = users.member!;
    const page = await visit(u, `/t/${TEAM}/builds?new=1`, "build-dialog", "pages-build-dialog-member-2");
    await page.getByTestId("build-file").setInputFiles({ name: "Dockerfile", mimeType: "text/plain", buffer: Buffer.from("FROM busybox\nRUN true\nRUN echo doomed; exit 3\n") });
    await page.getByTestId("build-submit").click();
    await page.waitForURL((url) => /^\/t\/crew\/builds\/[0-9a-f-]{36}$/.test(url.pathname));
    const failure = page.getByTestId("build-failure");
    await failure.waitFor({ timeout: 60_000 });
    expect(await failure.innerText()).toMatch(/Failed at Dockerfile line 3/);
    expect(await failure.innerText()).toMatch(/RUN echo doomed; exit 3/);
    await page.getByTestId("build-output").getByText("doomed", { exact: true }).waitFor();
    await checkA11y(page);
    await page.screenshot({ path: path.join(SHOTS, "pages-build-failed-member.png"), fullPage: true });
    const first = page.url();
    await page.getByTestId("build-retry").click();
    await page.waitForURL((url) => url.href !== first && /\/builds\/[0-9a-f-]{36}$/.test(url.pathname));
    await page.getByTestId("build-failure").waitFor({ timeout: 60_000 });
    expect(u.errors).toEqual([]);
  });

  it("cancelling a running build stops it and its tag does not move", async () => {
    const u = users.member!;
    const page = await visit(u, `/t/${TEAM}/builds?new=1`, "build-dialog", "pages-build-dialog-member-3");
    await page.getByTestId("build-file").setInputFiles({ name: "Dockerfile", mimeType: "text/plain", buffer: Buffer.from("FROM busybox\nRUN echo started; sleep 117\n") });
    await page.getByTestId("build-tags").fill("crew-never:1");
    await page.getByTestId("build-submit").click();
    await page.waitForURL((url) => /^\/t\/crew\/builds\/[0-9a-f-]{36}$/.test(url.pathname));
    await page.getByTestId("build-output").getByText("started", { exact: true }).waitFor({ timeout: 60_000 });
    await poll(() => processesRunning("sleep 117")).toBe(1);
    await page.getByTestId("build-cancel").click();
    await expect.poll(() => page.getByTestId("build-status").innerText(), { timeout: 30_000 }).toBe("cancelled");
    expect(await page.getByTestId("build-failure").innerText()).toMatch(/cancelled by mira/);
    await page.screenshot({ path: path.join(SHOTS, "pages-build-cancelled-member.png"), fullPage: true });
    // The worker killed the RUN step (its `sleep 117` is gone long before it would end), and no image got the tag.
    await expect.poll(() => processesRunning("sleep 117"), { timeout: 30_000 }).toBe(0);
    expect((await inTeam(["images"])).stdout).not.toContain("crew-never");
    expect(u.errors).toEqual([]);
  });

  it("overview for a viewer: the same figures, no run or build buttons", async () => {
    const page = await visit(users.viewer!, `/t/${TEAM}`, "overview-running", "pages-overview-viewer");
    await page.getByTestId("overview-running").getByRole("link", { name: "web" }).waitFor();
    for (const id of ["run-open"]) expect(await page.getByTestId(id).count(), id).toBe(0);
    expect(await page.getByRole("link", { name: "New build" }).count()).toBe(0);
  });
  it("on a phone-sized screen the page does not move down or up as its data arrives, nor scroll sideways", async () => {
    const { browser } = users.member!;
    const page = await browser.ctx.newPage();
    try {
      await page.setViewportSize({ width: 412, height: 823 });
      // Every distinct top of <main> from the first frame on: the side bar sits above the page on a
      // phone, and a side bar that changed height as the page filled in moved the whole page.
      await page.addInitScript(() => {
        const w = window as unknown as { mainTops: number[] };
        w.mainTops = [];
        const tick = () => {
          const main = document.getElementById("main");
          if (main) {
            const top = Math.round(main.getBoundingClientRect().top + window.scrollY);
            if (w.mainTops.at(-1) !== top) w.mainTops.push(top);
          }
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      const pages: [string, () => Promise<void>][] = [
        [`/t/${TEAM}`, () => page.getByTestId("overview-running").getByRole("link", { name: "web" }).waitFor()],
        [`/t/${TEAM}/containers`, () => page.getByTestId("container-row").first().waitFor()],
        [`/t/${TEAM}/containers/web`, () => page.getByTestId("action-restart").waitFor()],
      ];
      for (const [urlPath, loaded] of pages) {
        await page.goto(`${b.url}${urlPath}`);
        await loaded();
        await poll(() => page.getByTestId("team-role").textContent()).not.toBe("");
        expect(await page.evaluate(() => (window as unknown as { mainTops: number[] }).mainTops), urlPath).toHaveLength(1);
        // nor sideways: a wide table scrolls inside its frame, never the whole page
        expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), `${urlPath} wider than the screen`).toBeLessThanOrEqual(0);
      }
      await checkA11y(page);
    } finally {
      await page.close();
    }
  });
});
