#!/usr/bin/env node
// The dashboard's shared terminal in headless Chromium against a real Berth on loopback:
//  - click to first prompt: from the click on "New session" (a container's Terminal page) to the
//    shell's prompt drawn by xterm.js (goal < 300 ms);
//  - keystroke echo: from the keydown in the page to the echoed character drawn (goal < 20 ms p50).
// Both measured inside the page (performance.now(), a MutationObserver on xterm's rows), medians
// over --runs after --warmup. Needs a built checkout and Debian's chromium.
//   node bench/terminal.mjs [--runs 20] [--warmup 3] [--keys 60]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { median } from "./lib/compare.mjs";
import { BERTH_BIN, arg, startBerth } from "./lib/instances.mjs";

const runs = Number(arg("--runs", 20));
const warmup = Number(arg("--warmup", 3));
const keys = Number(arg("--keys", 60));
const PASSWORD = "bench-password-long-enough";
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const progress = (msg) => process.stderr.write(`bench/terminal: ${msg}\n`);
const fmt = (xs) => `median ${median(xs).toFixed(1)} ms, p90 ${pct(xs, 90).toFixed(1)} ms, min ${Math.min(...xs).toFixed(1)} ms (n=${xs.length})`;

const server = await startBerth();
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "bench-chromium-"));
let ctx;
try {
  const cli = (args, input) => {
    const r = spawnSync(process.execPath, [BERTH_BIN, ...args], { input, env: { ...process.env, ...server.env, BERTH_HOME: server.home }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`berth ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  progress("berth up; creating the user, team and container");
  cli(["user", "create", "bencher", "--password-stdin"], PASSWORD);
  cli(["team", "create", "bench"]);
  cli(["team", "add", "bench", "bencher", "--role", "member"]);
  process.env.BERTH_TEAM = "bench";
  cli(["run", "-d", "--name", "box", "busybox", "sleep", "1000000"]);
  for (let i = 0; i < 300; i++) {
    if (spawnSync(process.execPath, [BERTH_BIN, "exec", "box", "true"], { env: { ...process.env, ...server.env } }).status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(server.url);
  const form = page.getByTestId("login-form");
  await form.locator('input[name="username"]').fill("bencher");
  await form.locator('input[name="password"]').fill(PASSWORD);
  await form.locator('button[type="submit"]').click();
  await form.waitFor({ state: "detached" });

  progress("signed in; measuring click to first prompt");
  const terminalPage = `${server.url}/t/bench/containers/box/terminal`;
  // The first visit opens a session at once; from then on the page offers "New session".
  await page.goto(terminalPage);
  await page.locator('[data-testid="terminal-view"][data-role="driver"]').waitFor();

  const clickToPrompt = [];
  for (let i = 0; i < warmup + runs; i++) {
    await page.goto(terminalPage);
    await page.getByTestId("terminal-new-session").waitFor();
    const ms = await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const btn = document.querySelector('[data-testid="terminal-new-session"]');
          const prompt = () => /[#$] ?$/m.test(document.querySelector('[data-testid="terminal-screen"] .xterm-rows')?.textContent?.replace(/\u00a0/g, " ").trimEnd() ?? "");
          let t0 = 0;
          const obs = new MutationObserver(() => {
            if (prompt()) {
              obs.disconnect();
              resolve(performance.now() - t0);
            }
          });
          obs.observe(document.body, { subtree: true, childList: true, characterData: true });
          setTimeout(() => reject(new Error("no prompt within 10 s")), 10_000);
          t0 = performance.now();
          btn.click();
        }),
    );
    if (i >= warmup) clickToPrompt.push(ms);
    progress(`click to prompt ${i + 1}/${warmup + runs}: ${ms.toFixed(1)} ms`);
  }

  // Echo: one session, driven; each key's echo is the next 'x' on the prompt line.
  await page.goto(terminalPage);
  await page.getByTestId("terminal-new-session").click();
  await page.locator('[data-testid="terminal-view"][data-role="driver"]').waitFor();
  await page.waitForFunction(() => /[#$] ?$/m.test(document.querySelector('[data-testid="terminal-screen"] .xterm-rows')?.textContent?.replace(/\u00a0/g, " ").trimEnd() ?? ""));
  await page.getByTestId("terminal-screen").click();
  const echo = [];
  for (let i = 0; i < warmup + keys; i++) {
    await page.evaluate(() => {
      const count = () => (document.querySelector('[data-testid="terminal-screen"] .xterm-rows')?.textContent?.match(/x/g) ?? []).length;
      const before = count();
      window.__echo = new Promise((resolve, reject) => {
        setTimeout(() => reject(new Error("no echo within 10 s")), 10_000);
        let t0 = 0;
        document.addEventListener("keydown", () => (t0 = performance.now()), { capture: true, once: true });
        const obs = new MutationObserver(() => {
          if (count() > before) {
            obs.disconnect();
            resolve(performance.now() - t0);
          }
        });
        obs.observe(document.querySelector('[data-testid="terminal-screen"]'), { subtree: true, childList: true, characterData: true });
      });
    });
    await page.keyboard.press("x");
    const ms = await page.evaluate(() => window.__echo);
    if (i >= warmup) echo.push(ms);
    if (i % 40 === 39) {
      // Erase the line and wait until the erase is drawn: the next key's count must not start from a stale screen.
      const xs = () => (document.querySelector('[data-testid="terminal-screen"] .xterm-rows')?.textContent?.match(/x/g) ?? []).length;
      const shown = await page.evaluate(xs);
      await page.keyboard.press("Control+U");
      await page.waitForFunction(`(${xs})() < ${shown}`);
    }
    if (i % 10 === 9) progress(`echo ${i + 1}/${warmup + keys}: last ${ms.toFixed(1)} ms`);
  }

  console.log(`${os.cpus().length} cores; headless Chromium ${ctx.browser()?.version() ?? ""}; loopback`);
  console.log(`click to first prompt: ${fmt(clickToPrompt)}  (goal < 300 ms)`);
  console.log(`keystroke echo:        ${fmt(echo)}  (goal p50 < 20 ms)`);
} finally {
  await ctx?.close();
  fs.rmSync(profile, { recursive: true, force: true });
  await server.stop();
}
