/**
 * Sign-in: OpenID Connect against a real provider (`oidc-provider`, started here on a loopback
 * port, driven through its own login and consent pages by Chromium), the sign-in rate limit,
 * and changing one's password (`berth passwd` and the API).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import Provider from "oidc-provider";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type Browser } from "./browser.js";
import { CLI, freePort, ROOT, useInstance } from "./harness.js";
import { trpc } from "./trpc.js";

const providerPort = await freePort();
const issuer = `http://127.0.0.1:${providerPort}`;
const CLIENT_ID = "berth-test";
const CLIENT_SECRET = "a-client-secret-for-the-test-only";

const b = useInstance({
  env: { BERTH_OIDC_ISSUER: issuer, BERTH_OIDC_CLIENT_ID: CLIENT_ID, BERTH_OIDC_CLIENT_SECRET: CLIENT_SECRET, BERTH_OIDC_TEAM_CLAIM: "groups", BERTH_OIDC_NAME: "Example SSO" },
});

let providerServer: http.Server | undefined;
let browser: BrowserContext | undefined;
let chromium: Browser | undefined;
/** Screenshots of the sign-in pages, to look at as a user would. */
const shotPath = (name: string) => path.join(ROOT, ".test-results", "screenshots", `sign-in-${name}.png`);

// The one account the provider knows; its login page accepts any password (dev interactions).
const ACCOUNT = { sub: "emp-4711", email: "Jane.Doe@example.com", preferred_username: "jane.doe", groups: ["acme"] };

beforeAll(async () => {
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${b.url}/auth/oidc/callback`], grant_types: ["authorization_code"], response_types: ["code"] }],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["preferred_username"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups"],
    findAccount: (_ctx, sub) =>
      sub === ACCOUNT.sub ? { accountId: sub, claims: () => ({ sub, email: ACCOUNT.email, email_verified: true, preferred_username: ACCOUNT.preferred_username, groups: ACCOUNT.groups }) } : undefined,
    cookies: { keys: ["a-cookie-key-for-the-test-only"] },
  });
  providerServer = http.createServer(provider.callback());
  await new Promise<void>((resolve) => providerServer!.listen(providerPort, "127.0.0.1", resolve));
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  providerServer?.closeAllConnections();
  await new Promise((r) => providerServer?.close(r));
});

const admin = (proc: string, input?: unknown, kind: "query" | "mutation" = "mutation") => trpc(b.url, b.token, proc, input, kind);

describe("OpenID Connect", () => {
  it("shows 'Sign in with <provider>' on the dashboard's sign-in form", async () => {
    const status = await trpc<{ oidc: string | null }>(b.url, undefined, "auth.status");
    expect(status.data?.oidc).toBe("Example SSO");
  });

  it("signs a new user in through the provider's login and consent, puts them in the claimed team, and the session works", async () => {
    // Berth is set up (the dashboard shows its sign-in form, not the set-up form) ...
    const code = fs.readFileSync(path.join(b.home, "setup.code"), "utf8").trim();
    expect((await trpc(b.url, undefined, "auth.setup", { name: "admin", password: "admin-password-1", code }, "mutation")).status).toBe(200);
    // ... and the team the claim names exists; the user does not yet.
    expect((await admin("team.create", { name: "acme" })).status).toBe(200);

    chromium = await launchBrowser();
    browser = chromium.ctx;
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(b.url);
    await page.getByTestId("oidc-login").waitFor();
    await page.screenshot({ path: shotPath("form") });
    await page.getByTestId("oidc-login").click();
    // The provider's own login page, then its consent page.
    await page.waitForURL((u) => u.origin === issuer);
    await page.locator('input[name="login"]').fill(ACCOUNT.sub);
    await page.locator('input[name="password"]').fill("anything");
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click(); // consent: "Continue"
    // Signed in: `/` opens the user's team, whose shell names them in the user menu.
    await page.waitForURL((u) => u.origin === b.url && u.pathname.startsWith("/t/"));
    await page.getByTestId("user-menu").filter({ hasText: "jane.doe" }).waitFor();

    const cookie = (await browser.cookies(b.url)).find((c) => c.name === "berth_session");
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Lax");
    const who = await fetch(`${b.url}/api/trpc/auth.whoami`, { headers: { cookie: `berth_session=${cookie!.value}` } });
    expect(((await who.json()) as { result: { data: { name: string } } }).result.data.name).toBe("jane.doe");
    // An account that signs in through the provider has no password to change.
    const change = await fetch(`${b.url}/api/trpc/auth.changePassword`, {
      method: "POST",
      headers: { cookie: `berth_session=${cookie!.value}`, "content-type": "application/json" },
      body: JSON.stringify({ oldPassword: "", newPassword: "a-new-password" }),
    });
    expect(change.status).toBe(412);
    // In the claimed team, as a member.
    const members = await admin("team.members", { team: "acme" }, "query");
    expect(members.data).toEqual(expect.arrayContaining([expect.objectContaining({ user: "jane.doe", role: "member" })]));
  });

  it("matches the same user at the next sign-in (no second account)", async () => {
    const page = await browser!.newPage();
    await browser!.clearCookies({ name: "berth_session" });
    await page.goto(`${b.url}/auth/oidc/login`);
    // The provider remembers the login and the consent: straight back to Berth.
    // Signed in: `/` opens the user's team, whose shell names them in the user menu.
    await page.waitForURL((u) => u.origin === b.url && u.pathname.startsWith("/t/"));
    await page.getByTestId("user-menu").filter({ hasText: "jane.doe" }).waitFor();
    const users = await admin("user.list", undefined, "query");
    expect((users.data as { name: string }[]).filter((u) => u.name.startsWith("jane")).map((u) => u.name)).toEqual(["jane.doe"]);
  });

  it("refuses a callback that was not started by this browser", async () => {
    const res = await fetch(`${b.url}/auth/oidc/callback?code=forged&state=forged`, { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/not started here/);
    expect(res.headers.get("set-cookie") ?? "").not.toMatch(/berth_session=[^;]/);
  });
});

describe("passwords", () => {
  it("berth passwd changes the caller's own password, ends their other sessions, and refuses a wrong current one", async () => {
    const created = await admin("user.create", { name: "paul", password: "paul-password-1" });
    const paulToken = (created.data as { token: string }).token;
    const session = await signIn("paul", "paul-password-1");
    expect(session.status).toBe(200);

    const changed = await passwdWithStdin(paulToken, "paul-password-1\npaul-password-2\n");
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(/Password changed/);
    expect((await signIn("paul", "paul-password-1")).status).toBe(401);
    expect((await signIn("paul", "paul-password-2")).status).toBe(200);
    // The dashboard session from before the change is over.
    const old = await fetch(`${b.url}/api/trpc/auth.whoami`, { headers: { cookie: session.cookie } });
    expect(old.status).toBe(401);

    const refused = await passwdWithStdin(paulToken, "not-the-password\npaul-password-3\n");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/current password is wrong/);
    expect((await signIn("paul", "paul-password-2")).status).toBe(200);
  });

  it("the dashboard's change-password form changes the signed-in user's password", async () => {
    await browser!.clearCookies();
    const page = await browser!.newPage();
    await page.goto(b.url);
    const login = page.getByTestId("login-form");
    await login.locator('input[name="username"]').fill("paul");
    await login.locator('input[name="password"]').fill("paul-password-2");
    await login.locator('button[type="submit"]').click();
    // In the user menu of the shell.
    await page.getByTestId("user-menu").click();
    await page.getByTestId("password-open").click();
    const form = page.getByTestId("password-form");
    await form.locator('input[name="old-password"]').fill("not-the-password");
    await form.locator('input[name="new-password"]').fill("paul-password-4");
    await form.locator('input[name="repeat-password"]').fill("paul-password-4");
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => page.getByTestId("password-error").textContent()).toMatch(/current password is wrong/);
    await page.screenshot({ path: shotPath("password-error") });
    await form.locator('input[name="old-password"]').fill("paul-password-2");
    await form.locator('button[type="submit"]').click();
    await page.getByTestId("password-done").waitFor();
    expect((await signIn("paul", "paul-password-4")).status).toBe(200);
    await page.close();
  });

  it("rate-limits failed sign-ins per user name with a clear 'try again in N s'", async () => {
    expect((await admin("user.create", { name: "rita", password: "rita-password-1" })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await signIn("rita", "wrong-password")).status).toBe(401);
    const blocked = await signIn("rita", "rita-password-1");
    expect(blocked.status).toBe(429);
    expect(blocked.message).toMatch(/too many failed sign-in attempts: try again in \d+ s/);
    // `berth login` (token.login) shares the count.
    const viaCli = await trpc(b.url, undefined, "token.login", { name: "rita", password: "rita-password-1" }, "mutation");
    expect(viaCli.status).toBe(429);
    // Another user is not held back by rita's count.
    expect((await admin("user.create", { name: "sam", password: "sam-password-1" })).status).toBe(200);
    expect((await signIn("sam", "sam-password-1")).status).toBe(200);
  });

  it("rate-limits failed sign-ins per address, across user names", async () => {
    // Failures from this address over distinct names (none near the per-name limit) until the address is held back.
    let first429: { status: number; message: string } | undefined;
    for (let i = 0; i < 21 && !first429; i++) {
      const r = await signIn(`nobody${i}`, "wrong-password");
      if (r.status === 429) first429 = r;
      else expect(r.status).toBe(401);
    }
    expect(first429?.message).toMatch(/too many failed sign-in attempts: try again in \d+ s/);
    // Now even a right password from this address waits.
    expect((await signIn("sam", "sam-password-1")).status).toBe(429);
  });
});

/** auth.login as the dashboard calls it; returns the session cookie it set. */
async function signIn(name: string, password: string): Promise<{ status: number; message: string; cookie: string }> {
  const res = await fetch(`${b.url}/api/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, password }) });
  const body = (await res.json()) as { error?: { message: string } };
  const cookie = (res.headers.getSetCookie().find((c) => c.startsWith("berth_session=")) ?? "").split(";", 1)[0]!;
  return { status: res.status, message: body.error?.message ?? "", cookie };
}

/** `berth passwd --password-stdin` with `input` on its stdin. */
function passwdWithStdin(token: string, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--", CLI, "passwd", "--password-stdin"], {
      env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: token, BERTH_HOME: b.home },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
