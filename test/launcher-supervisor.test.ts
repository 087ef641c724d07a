import fs from "node:fs";
import { expect, it } from "vitest";
import { freePort, portProxiesOf, shimsUnder, useInstance } from "./harness.js";
import { until } from "./lifecycle-helpers.js";

// The launcher supervises the worker: a crash-looping worker makes it give up, say why, and
// stop the rest in order (nothing left behind: b.stop() checks), also what outlives a worker:
// a bridge container, its shim and its published port's proxy (worker/dist/cleanup.js ends them).
const b = useInstance();

const workerPid = (home: string) => processOf(home, "worker/dist/main.js");
const launcherPid = (home: string) => processOf(home, "scripts/start.mjs");

/** A process of this instance (BERTH_HOME in its environment) whose command line names `script`. */
function processOf(home: string, script: string): number | undefined {
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(script)) continue;
      if (fs.readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${home}`)) return Number(p);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

it("a worker that keeps dying is restarted with a backoff, then the launcher gives up with a message", async () => {
  const port = await freePort();
  const run = await b.berth(["run", "-d", "--name", "web", "-p", `${port}:80`, "busybox", "httpd", "-f", "-p", "80"]);
  expect(run.code, run.stderr).toBe(0);
  expect(portProxiesOf(b.home)).toHaveLength(1);
  const killed = new Set<number>();
  // Five deaths in a minute are restarted; the sixth is a crash loop.
  for (let i = 0; i < 6; i++) {
    let pid: number | undefined;
    await until(`worker #${i + 1}`, () => {
      pid = workerPid(b.home);
      return pid !== undefined && !killed.has(pid);
    });
    killed.add(pid!);
    process.kill(pid!, "SIGKILL");
  }
  await until("the launcher to give up", () => /giving up and stopping Berth/.test(b.logs()));
  expect(b.logs()).toMatch(/worker exited unexpectedly \(SIGKILL\) 6 times in 60 s; giving up and stopping Berth/);
  for (const ms of [500, 1000, 2000, 4000, 8000]) expect(b.logs()).toContain(`starting it again in ${ms} ms`);
  // It stops web and Redis in order, then exits (1): no launcher process left for this home.
  // Wait for the exit itself, not only for /proc to stop naming it: a zombie's cmdline is empty,
  // and stop() after that but before the exit is seen would Ctrl-C a launcher already gone.
  const code = await Promise.race([b.exited, new Promise((r) => setTimeout(() => r("still running 60 s after giving up"), 60_000))]);
  expect(code).toBe(1);
  expect(launcherPid(b.home)).toBeUndefined();
  expect(await fetch(`${b.url}/api/health`).catch(() => undefined)).toBeUndefined();
  expect(shimsUnder(b.home)).toEqual([]);
  expect(portProxiesOf(b.home)).toEqual([]);
}, 120_000);
