#!/usr/bin/env node
// The dashboard's page budget: Lighthouse 12.2.3 performance and accessibility scores (goal
// ≥ 90 each) of the overview, containers, container-detail and logs pages, and the JavaScript each
// page loads (bytes over the wire and uncompressed), against a throwaway Berth with one running
// container, signed in through the session cookie. Debian's Chromium, headless, through
// chrome-launcher. Lighthouse's desktop preset (the dashboard is a desktop tool); `--mobile`
// for its default mobile emulation (slow 4G, 4x CPU slowdown).
//   node bench/dashboard.mjs [--runs N] [--mobile] [--only overview,logs] [--json FILE] [--dump DIR]
import fs from "node:fs";
import path from "node:path";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import * as chromeLauncher from "chrome-launcher";
import { arg, startBerth } from "./lib/instances.mjs";

const runs = Number(arg("--runs", 3));
const mobile = process.argv.includes("--mobile");
const jsonOut = arg("--json", "");
/** Only these pages (comma-separated names as printed), e.g. --only overview,logs. */
const only = arg("--only", "");
/** Keep every run's Lighthouse report (JSON) in this directory. */
const dumpDir = arg("--dump", "");
const CHROMIUM = "/usr/bin/chromium";
// NOTES.md's flags for Chromium as root, headless.
const FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ADMIN = "admin";
const PASSWORD = "bench-password-1";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Claims the admin account with the set-up code and returns its session cookie. */
async function signIn(url, home) {
  const code = fs.readFileSync(path.join(home, "setup.code"), "utf8").trim();
  const res = await fetch(`${url}/api/trpc/auth.setup`, { method: "POST", headers: { "content-type": "application/json", "x-berth-csrf": "1" }, body: JSON.stringify({ name: ADMIN, password: PASSWORD, code }) });
  if (res.status !== 200) throw new Error(`auth.setup answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("berth_session="));
  if (!cookie) throw new Error("auth.setup set no session cookie");
  return cookie.split(";", 1)[0];
}

const server = await startBerth();
let chrome;
try {
  const cookie = await signIn(server.url, server.home);
  server.berth("run", "-d", "--name", "web", "-p", "127.0.0.1:0:8080", "busybox", "sleep", "1d");
  const pages = [
    ["overview", `/t/${ADMIN}`],
    ["containers", `/t/${ADMIN}/containers`],
    ["container detail", `/t/${ADMIN}/containers/web`],
    ["logs", `/t/${ADMIN}/containers/web/logs`],
  ].filter(([name]) => !only || only.split(",").includes(name));
  chrome = await chromeLauncher.launch({ chromePath: CHROMIUM, chromeFlags: FLAGS, userDataDir: fs.mkdtempSync(path.join(server.home, "chrome-")) });
  const flags = { port: chrome.port, output: "json", logLevel: "error", onlyCategories: ["performance", "accessibility"], extraHeaders: { Cookie: cookie } };
  const config = mobile ? undefined : desktopConfig;
  const rows = [];
  for (const [name, p] of pages) {
    const perf = [];
    const a11y = [];
    const metrics = { fcp: [], lcp: [], tbt: [], cls: [], si: [] };
    let js = { transfer: 0, resource: 0, files: 0 };
    for (let i = 0; i < runs + 1; i++) {
      const r = await lighthouse(`${server.url}${p}`, flags, config);
      const lhr = r.lhr;
      if (lhr.runtimeError) throw new Error(`${name}: ${lhr.runtimeError.message}`);
      if (i === 0) continue; // warm-up: the first load compiles the route on the server
      perf.push(lhr.categories.performance.score * 100);
      a11y.push(lhr.categories.accessibility.score * 100);
      for (const [k, id] of [["fcp", "first-contentful-paint"], ["lcp", "largest-contentful-paint"], ["tbt", "total-blocking-time"], ["cls", "cumulative-layout-shift"], ["si", "speed-index"]]) metrics[k].push(lhr.audits[id].numericValue);
      if (dumpDir) fs.writeFileSync(path.join(dumpDir, `${name.replace(/\W+/g, "-")}-${i}.json`), JSON.stringify(lhr));
      const scripts = lhr.audits["network-requests"].details.items.filter((it) => it.resourceType === "Script");
      js = { transfer: scripts.reduce((n, s) => n + (s.transferSize ?? 0), 0), resource: scripts.reduce((n, s) => n + (s.resourceSize ?? 0), 0), files: scripts.length };
      if (i === runs) {
        const failing = Object.values(lhr.audits).filter((a) => a.score !== null && a.score < 0.9 && lhr.categories.accessibility.auditRefs.some((ref) => ref.id === a.id));
        if (failing.length) console.error(`${name}: accessibility audits under 0.9: ${failing.map((a) => a.id).join(", ")}`);
      }
    }
    rows.push({ page: name, path: p, performance: median(perf), accessibility: median(a11y), jsTransferKiB: +(js.transfer / 1024).toFixed(1), jsKiB: +(js.resource / 1024).toFixed(1), jsFiles: js.files, runs: perf.length, perfRuns: perf, fcpMs: Math.round(median(metrics.fcp)), lcpMs: Math.round(median(metrics.lcp)), tbtMs: Math.round(median(metrics.tbt)), cls: +median(metrics.cls).toFixed(3), siMs: Math.round(median(metrics.si)) });
  }
  console.log(`Lighthouse 12.2.3, ${mobile ? "mobile" : "desktop"} preset, median of ${runs} runs after a warm-up (goal: ≥ 90 each)`);
  console.log("page               perf  a11y   JS over the wire   JS uncompressed   files     FCP     LCP    TBT    CLS");
  for (const r of rows) console.log(`${r.page.padEnd(18)} ${String(Math.round(r.performance)).padStart(4)}  ${String(Math.round(r.accessibility)).padStart(4)}   ${`${r.jsTransferKiB} KiB`.padStart(14)}   ${`${r.jsKiB} KiB`.padStart(15)}   ${String(r.jsFiles).padStart(5)}  ${`${r.fcpMs}`.padStart(6)}  ${`${r.lcpMs}`.padStart(6)}  ${`${r.tbtMs}`.padStart(5)}  ${r.cls.toFixed(3)}`);
  if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(rows, null, 2));
} finally {
  await chrome?.kill();
  await server.stop();
}
