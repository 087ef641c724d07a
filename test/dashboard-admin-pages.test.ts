/**
 * The dashboard's registry, networks, volumes, events, audit, team settings, /teams, /tokens and
 * /hosts pages in a real headless Chromium against a whole Berth: each loads for a member and a
 * viewer (the site admin too where it sees more) with no console error and no serious axe
 * finding, shows only what the role may do, and one real action per page goes through the
 * browser and is checked with the CLI.
 */
import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkA11y, launchBrowser, type Browser } from "./browser.js";
import { ROOT, useInstance } from "./harness.js";
import { createUser } from "./team-setup.js";
import { pushImage, token } from "./registry-helpers.js";

const b = useInstance();
const SHOTS = path.join(ROOT, ".test-results", "screenshots");
const PASSWORD = "a-long-enough-password";
const USERS = { boss: "boss", mia: "mia", val: "val" } as const;
type Who = keyof typeof USERS;

let browser: Browser | undefined;
let page: Page;
const errors: string[] = [];

/** The CLI as `who` would run it: a token of theirs, acting in team crew. */
const tokens: Partial<Record<Who, string>> = {};
const as = (who: Who, args: string[], env: NodeJS.ProcessEnv = {}) => b.berth(["--team", "crew", ...args], { env: { BERTH_TOKEN: tokens[who]!, ...env } });

async function signIn(who: Who): Promise<void> {
  const ctx = browser!.ctx;
  await ctx.clearCookies();
  const res = await ctx.request.post(`${b.url}/api/trpc/auth.login`, { data: { name: USERS[who], password: PASSWORD }, headers: { "x-berth-csrf": "1" } });
  expect(res.ok(), await res.text()).toBe(true);
}

/** Opens `path`, waits until `ready` passes, checks axe and the console, and saves a screenshot to look at. */
async function visit(path: string, shot: string, ready: () => Promise<unknown>): Promise<void> {
  errors.length = 0;
  await page.goto(`${b.url}${path}`);
  await page.locator("h1").first().waitFor();
  await ready();
  await checkA11y(page);
  await page.screenshot({ path: `${SHOTS}/admin-${shot}.png`, fullPage: true });
  expect(errors, `console errors on ${path}`).toEqual([]);
}

const heading = (text: string) => () => page.getByRole("heading", { level: 1, name: text }).waitFor();

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  // The first admin claims the install (as the set-up form does) and gets a password.
  const code = fs.readFileSync(path.join(b.home, "setup.code"), "utf8").trim();
  const setup = await fetch(`${b.url}/api/trpc/auth.setup`, { method: "POST", headers: { "content-type": "application/json", "x-berth-csrf": "1" }, body: JSON.stringify({ name: USERS.boss, password: PASSWORD, code }) });
  expect(setup.ok, await setup.text()).toBe(true);
  tokens.boss = b.token;
  for (const who of ["mia", "val"] as const) createUser(b, USERS[who], PASSWORD);
  expect((await b.berth(["team", "create", "crew"])).code).toBe(0);
  expect((await b.berth(["team", "add", "crew", USERS.mia, "--role", "member"])).code).toBe(0);
  expect((await b.berth(["team", "add", "crew", USERS.val, "--role", "viewer"])).code).toBe(0);
  for (const who of ["mia", "val"] as const) {
    const login = await fetch(`${b.url}/api/trpc/token.login`, { method: "POST", headers: { "content-type": "application/json", "x-berth-csrf": "1" }, body: JSON.stringify({ name: USERS[who], password: PASSWORD, client: "test" }) });
    const body = await login.text();
    expect(login.ok, body).toBe(true);
    tokens[who] = (JSON.parse(body) as { result: { data: { token: string } } }).result.data.token;
  }
  // A repository of team crew, pushed by the site admin through the registry API.
  const t = await token(b.url, ["repository:crew/app:pull,push"], { user: USERS.boss, pass: b.token });
  await pushImage(b.url, t.token, "crew/app", "1");

  browser = await launchBrowser();
  page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

describe("as a member of crew", () => {
  beforeAll(() => signIn("mia"));

  it("volumes: creates one in the browser; its size and the container using it show", async () => {
    await visit("/t/crew/volumes", "volumes-empty-member", () => page.getByTestId("empty-state").waitFor());
    await page.getByTestId("volume-create").click();
    const dialog = page.getByTestId("volume-create-dialog");
    await dialog.getByLabel("Name").fill("cache");
    await dialog.getByLabel("Labels").fill("purpose=test");
    await dialog.getByTestId("volume-create-submit").click();
    const row = page.getByTestId("volume-row").filter({ hasText: "cache" });
    await row.waitFor();
    expect((await as("mia", ["volume", "ls", "-q"])).stdout.split("\n")).toContain("cache");
    // A container writes 100 000 bytes into it; the page shows the size and who uses it.
    const run = await as("mia", ["run", "-d", "--name", "writer", "-v", "cache:/data", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /data/blob && sleep 600"]);
    expect(run.code, run.stderr).toBe(0);
    await expect.poll(async () => {
      await page.reload();
      await row.getByTestId("volume-users").waitFor();
      return `${await row.getByTestId("volume-users").innerText()} | ${await row.getByTestId("volume-size").innerText()}`;
    }, { timeout: 30_000 }).toMatch(/writer[\s\S]*\| 100\.0 kB/);
    await visit("/t/crew/volumes", "volumes-member", () => row.getByText("writer").waitFor());
  });

  it("networks: creates one, then connects a container to it from the inspect view", async () => {
    await visit("/t/crew/networks", "networks-empty-member", () => page.getByTestId("networks-table").waitFor());
    await page.getByTestId("network-create").click();
    const dialog = page.getByTestId("network-create-dialog");
    await dialog.getByLabel("Name").fill("backend");
    await dialog.getByTestId("network-create-submit").click();
    await page.locator('[data-testid="network-row"][data-name="backend"]').waitFor();
    expect((await as("mia", ["network", "ls"])).stdout).toMatch(/\bbackend\b/);
    await page.getByRole("button", { name: "Inspect network backend" }).click();
    const detail = page.getByTestId("network-detail");
    await detail.getByTestId("network-connect-container").selectOption({ label: "writer (running)" });
    await detail.getByTestId("network-connect-submit").click();
    await detail.locator('[data-testid="network-container"][data-name="writer"]').waitFor();
    const inspect = JSON.parse((await as("mia", ["network", "inspect", "backend"])).stdout) as { Containers: Record<string, { Name: string }> }[];
    expect(Object.values(inspect[0]!.Containers).map((c) => c.Name)).toContain("writer");
    await checkA11y(page);
    await page.screenshot({ path: `${SHOTS}/admin-network-detail-member.png` });
    await page.keyboard.press("Escape");
  });

  it("registry: lists crew/app, shows the pull command, and makes it public", async () => {
    await visit("/t/crew/registry", "registry-member", () => page.locator('[data-testid="repo-row"][data-name="crew/app"]').waitFor());
    await page.getByRole("link", { name: "crew/app" }).click();
    await page.locator('[data-testid="tag-row"][data-name="1"]').waitFor();
    expect(await page.getByTestId("tags-table").innerText()).toContain(`berth pull 127.0.0.1:${b.port}/crew/app:1`);
    await visit("/t/crew/registry/crew/app", "registry-repo-member", () => page.getByTestId("repo-toggle-visibility").waitFor());
    await page.getByTestId("repo-toggle-visibility").click();
    await expect.poll(() => page.getByTestId("repo-visibility").innerText()).toBe("public");
    expect((await as("mia", ["repo", "ls"])).stdout).toMatch(/crew\/app\s+public/);
    // The description: set here, found by the registry's search.
    await page.getByTestId("repo-edit-description").click();
    await page.getByTestId("repo-description").fill("the crew's web app");
    await page.getByTestId("repo-description-save").click();
    await page.getByText("the crew's web app").waitFor();
    await page.goto(`${b.url}/t/crew/registry`);
    await page.getByTestId("registry-search").fill("web app");
    await page.locator('[data-testid="repo-row"][data-name="crew/app"]').waitFor();
    await page.getByTestId("registry-search").fill("no-such-thing");
    await page.getByText("No repository matches").waitFor();
  });

  it("events: a container run from the CLI shows up live", async () => {
    await visit("/t/crew/events", "events-member", () => page.getByTestId("events-table").waitFor());
    const run = await as("mia", ["run", "--name", "hello-events", "busybox", "true"]);
    expect(run.code, run.stderr).toBe(0);
    await page.locator('[data-testid="event-row"][data-type="container.die"]').filter({ hasText: "hello-events" }).waitFor();
    await page.getByTestId("events-action").selectOption("start");
    await expect.poll(() => page.locator('[data-testid="event-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-type")))).not.toContain("container.die");
    await page.screenshot({ path: `${SHOTS}/admin-events-filtered-member.png`, fullPage: true });
  });

  it("tokens: creates a read-only token for crew, shown once, that the CLI can read with and not change with", async () => {
    await visit("/tokens", "tokens-member", () => page.getByTestId("tokens-table").waitFor());
    await page.getByTestId("token-create").click();
    const dialog = page.getByTestId("token-dialog");
    await dialog.getByTestId("token-name").fill("ci reader");
    await dialog.getByTestId("token-team").selectOption("crew");
    await dialog.getByTestId("token-readonly").check();
    await dialog.getByTestId("token-create-submit").click();
    const secret = (await dialog.getByTestId("token-secret").locator("code").first().innerText()).trim();
    expect(secret).toMatch(/^berth_/);
    await checkA11y(page);
    await page.screenshot({ path: `${SHOTS}/admin-token-created-member.png` });
    await dialog.getByRole("button", { name: "Done" }).click();
    await page.locator('[data-testid="token-row"][data-name="ci reader"]').filter({ hasText: "read-only" }).filter({ hasText: "crew" }).waitFor();
    const env = { BERTH_TOKEN: secret };
    const ls = await b.berth(["volume", "ls", "-q"], { env });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout.split("\n")).toContain("cache");
    const create = await b.berth(["volume", "create", "nope"], { env });
    expect(create.code).not.toBe(0);
    expect(create.stderr).toMatch(/read-only/);
  });

  it("settings, teams, audit and hosts load with what a member may do", async () => {
    await visit("/t/crew/settings", "settings-member", () => page.getByTestId("members-table").waitFor());
    expect(await page.getByTestId("my-role").innerText()).toBe("member");
    expect(await page.getByTestId("invitations-card").count()).toBe(0);
    expect(await page.getByTestId("member-role").count()).toBe(0);
    // The team's idle freeze: a member reads it and gets no form to change it.
    expect(await page.getByTestId("freeze-after").innerText()).toBe("30m idle");
    expect(await page.getByTestId("freeze-after-input").count()).toBe(0);
    await visit("/teams", "teams-member", () => page.locator('[data-testid="team-row"][data-team="crew"]').waitFor());
    expect(await page.locator('[data-testid="team-row"][data-team="crew"]').innerText()).toMatch(/member/);
    await visit("/t/crew/audit", "audit-member", () => page.getByText("The audit log is for the team's admins").waitFor());
    await visit("/hosts", "hosts-member", () => page.getByText("Hosts are the site admin's").waitFor());
  });
});

describe("as a viewer of crew", () => {
  beforeAll(() => signIn("val"));

  it("every page loads and offers no change", async () => {
    await visit("/t/crew/volumes", "volumes-viewer", () => page.locator('[data-testid="volume-row"][data-name="cache"]').waitFor());
    expect(await page.getByTestId("volume-create").count()).toBe(0);
    expect(await page.getByRole("button", { name: /Remove/ }).count()).toBe(0);
    await visit("/t/crew/networks", "networks-viewer", () => page.locator('[data-testid="network-row"][data-name="backend"]').waitFor());
    expect(await page.getByTestId("network-create").count()).toBe(0);
    await visit("/t/crew/registry", "registry-viewer", () => page.locator('[data-testid="repo-row"][data-name="crew/app"]').waitFor());
    await visit("/t/crew/registry/crew/app", "registry-repo-viewer", () => page.getByTestId("tags-table").waitFor());
    expect(await page.getByTestId("repo-toggle-visibility").count()).toBe(0);
    expect(await page.getByRole("button", { name: /Delete/ }).count()).toBe(0);
    await visit("/t/crew/events", "events-viewer", () => page.getByTestId("events-table").waitFor());
    await visit("/t/crew/audit", "audit-viewer", () => page.getByText("The audit log is for the team's admins").waitFor());
    await visit("/t/crew/settings", "settings-viewer", () => page.getByTestId("members-table").waitFor());
    expect(await page.getByTestId("my-role").innerText()).toBe("viewer");
    expect(await page.getByTestId("invitations-card").count()).toBe(0);
    await visit("/teams", "teams-viewer", () => page.locator('[data-testid="team-row"][data-team="crew"]').waitFor());
    await visit("/tokens", "tokens-viewer", heading("API tokens"));
    await visit("/hosts", "hosts-viewer", () => page.getByText("Hosts are the site admin's").waitFor());
  });
});

describe("as the owner and site admin", () => {
  beforeAll(() => signIn("boss"));

  it("settings: an invitation link is created, shown once, and joins a new user", async () => {
    await visit("/t/crew/settings", "settings-owner", () => page.getByTestId("invitations-card").waitFor());
    await page.getByTestId("invite-role").selectOption("viewer");
    await page.getByTestId("invite-create").click();
    const link = (await page.getByTestId("invite-link").locator("code").innerText()).trim();
    expect(link).toMatch(new RegExp(`^${b.url}/invite/bti_`));
    await page.screenshot({ path: `${SHOTS}/admin-settings-invite-owner.png`, fullPage: true });
    const made = await b.berth(["user", "create", "neo"]);
    expect(made.code, made.stderr).toBe(0);
    const neo = made.stdout.trim();
    const join = await b.berth(["team", "join", link], { env: { BERTH_TOKEN: neo } });
    expect(join.code, join.stderr).toBe(0);
    expect(join.stdout).toMatch(/joined team crew as viewer/);
    await page.reload();
    await page.locator('[data-testid="member-row"][data-user="neo"]').waitFor();
    await page.locator('[data-testid="invitation-row"][data-state="used"]').filter({ hasText: "neo" }).waitFor();
  });

  it("audit: the team's changes, by user, and every team's for the site admin", async () => {
    await visit("/t/crew/audit", "audit-owner", () => page.getByTestId("audit-table").waitFor());
    await page.getByTestId("audit-user").fill("mia");
    await page.locator('[data-testid="audit-row"][data-action="volume.create"]').filter({ hasText: "cache" }).waitFor();
    await expect.poll(() => page.locator('[data-testid="audit-row"]').filter({ hasNotText: "mia" }).count()).toBe(0);
    await page.getByTestId("audit-user").fill("");
    await page.getByTestId("audit-team").selectOption("*");
    await page.getByRole("columnheader", { name: "Team" }).waitFor();
    await checkA11y(page);
    await page.screenshot({ path: `${SHOTS}/admin-audit-all-teams.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it("hosts: this machine, online and linked, with its CPU, memory and disk", async () => {
    await visit("/hosts", "hosts-admin", () => page.getByTestId("host-memory").waitFor());
    const card = page.getByTestId("host-card").first();
    expect(await card.getByTestId("host-online").innerText()).toBe("online");
    await expect.poll(() => card.getByTestId("host-agent").innerText()).toBe("agent linked");
    expect(await card.getByTestId("host-disk").innerText()).toMatch(/of \d/);
    expect(await card.getByTestId("host-cpu").innerText()).toMatch(/CPUs/);
  });

  it("settings: the owner changes the team's idle freeze, and the CLI reads the new time", async () => {
    await visit("/t/crew/settings", "settings-freeze-owner", () => page.getByTestId("freeze-card").waitFor());
    expect(await page.getByTestId("freeze-after").innerText()).toBe("30m idle");
    await page.getByTestId("freeze-after-input").fill("2h");
    await page.getByTestId("freeze-card").getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByTestId("freeze-after").innerText()).toBe("2h idle");
    const shown = await b.berth(["team", "set", "crew"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/crew\s+2h/);
    await page.getByTestId("freeze-after-input").fill("soon");
    await page.getByTestId("freeze-card").getByRole("button", { name: "Save" }).click();
    await page.getByTestId("freeze-card").getByText('"soon" is not a duration').waitFor();
    await checkA11y(page);
    expect(errors.filter((e) => !/400|Bad Request/.test(e))).toEqual([]);
  });

  it("registry and teams show the owner's actions", async () => {
    await visit("/t/crew/registry/crew/app", "registry-repo-owner", () => page.getByTestId("repo-delete").waitFor());
    await visit("/teams", "teams-admin", () => page.getByTestId("teams-all").waitFor());
  });
});
