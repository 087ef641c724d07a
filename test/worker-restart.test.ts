import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { cgroupsOf, mountsUnder, shimsUnder, useInstance } from "./harness.js";
import { inspectOne, processesOf, runDetached, until } from "./lifecycle-helpers.js";

// The worker dies (kill -9) while containers run, and so do their shims; the launcher starts a new one, whose start-up
// reconciles DB, disk and kernel and applies the restart policies (README: "Containers across
// worker restarts").
const b = useInstance();

/** The instance's worker process: node running worker/dist/main.js with this BERTH_HOME. */
function workerPids(home: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("worker/dist/main.js")) continue;
      if (fs.readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${home}`)) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

it("kill -9 of the worker: the others are exited (137, with the reason), always/unless-stopped run again, nothing leaks", async () => {
  const names = ["keep-always", "keep-unless", "plain-1", "plain-2", "plain-3"];
  const ids: Record<string, string> = {};
  ids["keep-always"] = await runDetached(b, ["--name", "keep-always", "--restart", "always", "busybox", "sleep", "1000"]);
  ids["keep-unless"] = await runDetached(b, ["--name", "keep-unless", "--restart", "unless-stopped", "busybox", "sleep", "1000"]);
  for (const n of ["plain-1", "plain-2", "plain-3"]) ids[n] = await runDetached(b, ["--name", n, "busybox", "sleep", "1000"]);
  const oldPids: Record<string, number> = {};
  for (const n of names) {
    await until(`${n} running`, async () => (await inspectOne(b, n)).State.Running === true);
    oldPids[n] = (await inspectOne(b, n)).State.Pid as number;
    expect(processesOf(b.home, ids[n]!).length).toBeGreaterThan(0);
  }

  const [worker, ...others] = workerPids(b.home);
  expect(worker, "the instance's worker process").toBeDefined();
  expect(others).toEqual([]);
  process.kill(worker!, "SIGKILL");
  // And the containers' shims, before the launcher's new worker starts (500 ms at least): the
  // containers die with them. Without this they would run on and be adopted (live-restore*.test.ts);
  // this is the case of containers that did not outlive the worker.
  for (const shim of shimsUnder(b.home)) process.kill(shim, "SIGKILL");

  // The launcher starts a new worker; its start-up brings the two with a policy back.
  await until("a new worker", () => workerPids(b.home).some((p) => p !== worker), 60_000);
  for (const n of ["keep-always", "keep-unless"]) {
    await until(`${n} running again`, async () => {
      const i = await inspectOne(b, n);
      return i.State.Running === true && i.State.Pid !== oldPids[n];
    }, 90_000);
  }
  expect(b.logs()).toMatch(/worker exited unexpectedly \(SIGKILL\); starting it again/);

  for (const n of ["plain-1", "plain-2", "plain-3"]) {
    const i = await inspectOne(b, n);
    expect(i.State).toMatchObject({ Status: "exited", Running: false, ExitCode: 137, Pid: 0 });
    expect(i.State.Error).toBe("the Berth worker stopped while this container was running");
    expect(processesOf(b.home, ids[n]!)).toEqual([]);
  }
  for (const n of ["keep-always", "keep-unless"]) {
    const i = await inspectOne(b, n);
    expect(i.RestartCount).toBe(1);
    // The old container processes are gone; the new init is a different process.
    expect(fs.existsSync(`/proc/${oldPids[n]}`) && processesOf(b.home, ids[n]!).includes(oldPids[n]!)).toBe(false);
  }
  // The kernel agrees with the DB: no mount on the host, a cgroup only for what runs.
  expect(mountsUnder(b.home)).toEqual([]);
  const roots = cgroupsOf(b.home);
  for (const n of ["plain-1", "plain-2", "plain-3"]) {
    for (const root of roots) expect(fs.existsSync(path.join(root, ids[n]!)), `${root}/${n}`).toBe(false);
  }
  // ps shows running exactly what runs.
  const ps = await b.berth(["ps", "-q", "--no-trunc"]);
  expect(ps.stdout.trim().split("\n").sort()).toEqual([ids["keep-always"], ids["keep-unless"]].sort());
  const running = (await b.berth(["ps", "-a", "--filter", "status=running", "--format", "{{.Names}}"])).stdout.trim().split("\n").sort();
  expect(running).toEqual(["keep-always", "keep-unless"]);
}, 240_000);
