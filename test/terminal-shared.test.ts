/**
 * Shared terminals end to end in real headless Chromium against a whole Berth: a session that
 * lives on the host (it survives a reload), a teammate watching live who types only once the
 * driver hands over, the viewer refused (no button, and the socket says no), the container's
 * stop shown in the terminal, a recording replayed, and the CLI joining the same session.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkA11y, launchBrowser, type Browser, hostNoise } from "./browser.js";
import { CLI, ROOT, useInstance, type RunResult } from "./harness.js";
import { createUser } from "./team-setup.js";

const PASSWORD = "a-long-enough-password";
const SHOTS = path.join(ROOT, ".test-results", "screenshots");
const b = useInstance();
let alice: Browser | undefined;
let bob: Browser | undefined;
let pa: Page;
let pb: Page;
let sessionId = "";
const pageErrors: string[] = [];

const env = () => ({ ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token, BERTH_HOME: b.home, BERTH_TEAM: "crew" });
const crew = (args: string[]) => b.berth(args, { env: { BERTH_TEAM: "crew" } });

async function signIn(ctx: BrowserContext, user: string): Promise<Page> {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on("pageerror", (err) => pageErrors.push(`${user}: ${err.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !hostNoise(m.text())) pageErrors.push(`${user} console: ${m.text()}`);
  });
  await page.goto(b.url);
  const form = page.getByTestId("login-form");
  await form.locator('input[name="username"]').fill(user);
  await form.locator('input[name="password"]').fill(PASSWORD);
  await form.locator('button[type="submit"]').click();
  await form.waitFor({ state: "detached" });
  return page;
}

/** What the terminal shows (xterm's rows), one string per line. */
const screen = (p: Page) => p.getByTestId("terminal-screen").locator(".xterm-rows").innerText();
const lines = async (p: Page) => (await screen(p)).split("\n").map((l) => l.replace(/\u00a0/g, " ").trimEnd());
const shows = (p: Page, line: string) => expect.poll(async () => (await lines(p)).includes(line), { timeout: 15_000 }).toBe(true);
const shot = (p: Page, name: string) => p.screenshot({ path: path.join(SHOTS, `terminal-${name}.png`) });

async function type(p: Page, text: string): Promise<void> {
  await p.getByTestId("terminal-screen").click();
  await p.keyboard.type(text);
  await p.keyboard.press("Enter");
}

/** The CLI in a terminal (util-linux `script`), fed `input` after `delayMs`; stdin stays open until it exits. */
function cliInTerminal(args: string, input: string, until: RegExp): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", `stty cols 100 rows 30; exec ${process.execPath} ${CLI} ${args}`, "/dev/null"], { cwd: ROOT, env: env(), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let sent = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      // Once it shows what we wait for, leave with the keys given.
      if (!sent && until.test(stdout)) {
        sent = true;
        child.stdin.write(input);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => {});
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`berth ${args} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 30_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const u of ["alice", "bob", "vera"]) createUser(b, u, PASSWORD);
  expect((await b.berth(["team", "create", "crew"])).code).toBe(0);
  for (const [u, role] of [
    ["alice", "member"],
    ["bob", "member"],
    ["vera", "viewer"],
  ] as const)
    expect((await b.berth(["team", "add", "crew", u, "--role", role])).code).toBe(0);
  const run = await crew(["run", "-d", "--name", "box", "busybox", "sleep", "1000000"]);
  expect(run.code, run.stderr).toBe(0);
  for (let i = 0; i < 300 && (await crew(["exec", "box", "true"])).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  alice = await launchBrowser();
  bob = await launchBrowser();
  pa = await signIn(alice.ctx, "alice");
  pb = await signIn(bob.ctx, "bob");
}, 120_000);

afterAll(async () => {
  await alice?.close();
  await bob?.close();
});

describe("shared terminals", () => {
  it("opens a session from the container's Terminal page; the address becomes the session's; echo $((6*7)) shows 42", async () => {
    await pa.goto(`${b.url}/t/crew/containers/box/terminal`);
    const view = pa.getByTestId("terminal-view");
    await expect.poll(() => view.getAttribute("data-role"), { timeout: 15_000 }).toBe("driver");
    sessionId = (await view.getAttribute("data-session-id")) ?? "";
    expect(sessionId).toMatch(/^[0-9a-f]{16}$/);
    await expect.poll(() => pa.url(), { timeout: 15_000 }).toBe(`${b.url}/t/crew/terminals/${sessionId}`);
    await type(pa, "echo $((6*7))");
    await shows(pa, "42");
    await shot(pa, "driver");
    await checkA11y(pa);
  });

  it("runs no endless animation while the terminal has focus (an idle page draws no frames)", async () => {
    await pa.getByTestId("terminal-screen").click();
    const endless = await pa.evaluate(() =>
      document
        .getAnimations()
        .filter((a) => a.playState === "running" && a.effect?.getComputedTiming().iterations === Infinity)
        .map((a) => (a as CSSAnimation).animationName ?? "an animation"),
    );
    expect(endless).toEqual([]);
  });

  it("follows the driver's size: a smaller window changes stty size", async () => {
    const view = pa.getByTestId("terminal-view");
    const before = `${await view.getAttribute("data-rows")} ${await view.getAttribute("data-cols")}`;
    await pa.setViewportSize({ width: 720, height: 560 });
    await expect.poll(async () => `${await view.getAttribute("data-rows")} ${await view.getAttribute("data-cols")}`, { timeout: 15_000 }).not.toBe(before);
    const size = `${await view.getAttribute("data-rows")} ${await view.getAttribute("data-cols")}`;
    await type(pa, "stty size");
    await shows(pa, size);
  });

  it("survives a reload: the scrollback with 42 comes back and the shell goes on", async () => {
    await pa.reload();
    const view = pa.getByTestId("terminal-view");
    await expect.poll(() => view.getAttribute("data-role"), { timeout: 15_000 }).toBe("driver");
    expect(await view.getAttribute("data-session-id")).toBe(sessionId);
    await shows(pa, "42");
    await type(pa, "echo again-$((1+1))");
    await shows(pa, "again-2");
  });

  it("shows a teammate the same screen live; they type only once the driver hands over", async () => {
    await pb.goto(`${b.url}/t/crew/terminals/${sessionId}`);
    const vb = pb.getByTestId("terminal-view");
    await expect.poll(() => vb.getAttribute("data-role"), { timeout: 15_000 }).toBe("watcher");
    await shows(pb, "42");
    // Both see who is in the session and who drives.
    await expect.poll(async () => (await pa.getByTestId("terminal-participant").allInnerTexts()).join("|"), { timeout: 15_000 }).toMatch(/alice \(you\) · driving\|bob · watching/);
    await expect.poll(async () => (await pb.getByTestId("terminal-participant").allInnerTexts()).join("|"), { timeout: 15_000 }).toMatch(/alice · driving\|bob \(you\) · watching/);
    await type(pa, "echo live-$((3*5))");
    await shows(pb, "live-15");

    // A watcher's keys go nowhere: the driver's next line comes out, bob's never does.
    await type(pb, "echo bob-early-$((2*4))");
    await type(pa, "echo fence-$((9*9))");
    await shows(pa, "fence-81");
    await shows(pb, "fence-81");
    expect((await lines(pa)).some((l) => l.includes("bob-early"))).toBe(false);
    await shot(pb, "watcher");
    await checkA11y(pb);

    await pb.getByTestId("terminal-take-control").click();
    const grant = pa.getByTestId("terminal-grant").filter({ hasText: "bob" });
    await grant.waitFor();
    await shot(pa, "request");
    await grant.click();
    await expect.poll(() => vb.getAttribute("data-role"), { timeout: 15_000 }).toBe("driver");
    await expect.poll(() => pa.getByTestId("terminal-view").getAttribute("data-role"), { timeout: 15_000 }).toBe("watcher");
    await type(pb, "echo bob-$((2*4))");
    await shows(pb, "bob-8");
    await shows(pa, "bob-8");
  });

  it("records the session as asciicast v2 and replays it in the browser", async () => {
    await pb.getByTestId("terminal-record").click();
    await pb.getByTestId("terminal-recording").waitFor();
    await type(pb, "echo rec-$((5*5))");
    await shows(pb, "rec-25");
    await pb.getByTestId("terminal-record").click();
    await pb.getByTestId("terminal-recording").waitFor({ state: "detached" });

    const dir = path.join(b.home, "terminals", "recordings");
    const cast = fs.readdirSync(dir).find((f) => f.endsWith(".cast"));
    expect(cast).toBeTruthy();
    const [header, ...events] = fs.readFileSync(path.join(dir, cast!), "utf8").trim().split("\n").map((l) => JSON.parse(l) as unknown);
    expect(header).toMatchObject({ version: 2, width: expect.any(Number), height: expect.any(Number) });
    expect(events.every((e) => Array.isArray(e) && typeof e[0] === "number" && ["o", "r"].includes(e[1] as string))).toBe(true);
    expect(events.map((e) => (e as [number, string, string])[2]).join("")).toContain("rec-25");

    const list = await pa.context().newPage();
    await list.goto(`${b.url}/t/crew/terminals`);
    const row = list.getByTestId("terminal-session-row").filter({ hasText: sessionId });
    await row.waitFor();
    expect(await row.getAttribute("data-status")).toBe("running");
    const rec = list.getByTestId("terminal-recording-row").first();
    await rec.waitFor();
    await shot(list, "list");
    await checkA11y(list);
    await rec.getByRole("link").click();
    await list.waitForURL(/\/replay$/);
    await expect.poll(() => list.getByTestId("terminal-replay").innerText(), { timeout: 20_000 }).toContain("rec-25");
    await shot(list, "replay");
    await checkA11y(list);
    await list.close();
  });

  it("joins the same session from the CLI: berth terminal ls, then exec -it --session", async () => {
    const ls = await b.berth(["terminal", "ls"], { env: { BERTH_TEAM: "crew" } });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`${sessionId}\\s+box\\s+alice`));
    expect(ls.stdout).toMatch(/bob\*/);
    // The admin watches (bob drives): the scrollback arrives, then Ctrl-P Ctrl-Q leaves.
    const r = await cliInTerminal(`exec -it --session ${sessionId} box`, "\x10\x11", /bob-8[\s\S]*watch until/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("42");
    expect(r.stdout).toMatch(/bob drives: you watch/);
    const wrong = await crew(["exec", "-it", "--session", sessionId, "nosuch"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/No such container: nosuch/);
  });

  it("gives a viewer no terminal: no button on the page, and the socket refuses", async () => {
    const vera = await launchBrowser();
    try {
      const pv = await signIn(vera.ctx, "vera");
      await pv.goto(`${b.url}/t/crew/containers/box/terminal`);
      await expect.poll(() => pv.getByTestId("terminal-error").getAttribute("data-kind"), { timeout: 15_000 }).toBe("PermissionDenied");
      expect(await pv.getByTestId("terminal-new-session").count()).toBe(0);
      expect(await pv.locator(".xterm").count()).toBe(0);
      await shot(pv, "viewer");
      // The list and a session's link say the same, and show no terminal.
      await pv.goto(`${b.url}/t/crew/terminals`);
      await expect.poll(() => pv.getByTestId("terminal-error").getAttribute("data-kind"), { timeout: 15_000 }).toBe("PermissionDenied");
      await pv.goto(`${b.url}/t/crew/terminals/${sessionId}`);
      await expect.poll(() => pv.getByTestId("terminal-error").getAttribute("data-kind"), { timeout: 15_000 }).toBe("PermissionDenied");
      expect(await pv.getByTestId("terminal-screen").isVisible()).toBe(false);
      expect(await pv.getByTestId("terminal-participant").count()).toBe(0);
      await shot(pv, "viewer-session");
      // The server says no whatever the page shows: open, join and the list, over vera's own session cookie.
      const cookie = (await vera.ctx.cookies(b.url)).map((c) => `${c.name}=${c.value}`).join("; ");
      const socket = io(b.url, { path: "/socket.io", transports: ["websocket"], extraHeaders: { cookie, origin: b.url }, auth: { team: "crew" }, reconnection: false });
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once("connect", resolve);
          socket.once("connect_error", reject);
        });
        const ask = (event: string, payload: object) => socket.timeout(10_000).emitWithAck(event, payload) as Promise<{ error?: string; kind?: string; session?: string }>;
        for (const [event, payload] of [
          ["terminal:open", { containerId: "box" }],
          ["terminal:join", { id: sessionId }],
          ["terminal:list", {}],
        ] as const) {
          const ack = await ask(event, payload);
          expect(ack.session, event).toBeUndefined();
          expect(ack.kind, event).toBe("PermissionDenied");
        }
      } finally {
        socket.disconnect();
      }
    } finally {
      await vera.close();
    }
  }, 60_000);

  it("tells everyone in the session that the container stopped, with Restart and Open logs", async () => {
    const stop = await crew(["stop", "-t", "1", "box"]);
    expect(stop.code, stop.stderr).toBe(0);
    for (const p of [pa, pb]) {
      const stopped = p.getByTestId("terminal-stopped");
      await stopped.waitFor();
      expect(await stopped.innerText()).toMatch(/container stopped \(exit \d+\)/);
      await p.getByTestId("terminal-restart").waitFor();
      expect(await p.getByTestId("terminal-open-logs").getAttribute("href")).toBe("/t/crew/containers/box/logs");
    }
    await shot(pa, "stopped");
    // Restart starts the container again and opens a new session in it.
    await pa.getByTestId("terminal-restart").click();
    const fresh = new RegExp(`/t/crew/terminals/(?!${sessionId})[0-9a-f]{16}$`);
    await expect.poll(() => pa.url(), { timeout: 20_000 }).toMatch(fresh);
    await expect.poll(() => pa.getByTestId("terminal-view").getAttribute("data-role"), { timeout: 15_000 }).toBe("driver");
    await type(pa, "echo back-$((7*6))");
    await shows(pa, "back-42");
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
