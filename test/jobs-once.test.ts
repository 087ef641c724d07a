/**
 * Exactly one outcome per job (issue 13). A worker killed (-9) mid-build or mid-push: the CLI
 * hears at once that the worker on this host stopped during the job, not a TAR_BAD_ARCHIVE,
 * ENOENT or "credentials expired" from BullMQ's re-run a minute later, and the job never runs
 * again. Redis stalled (SIGSTOP) past the builds' lock duration during a build that succeeds:
 * BullMQ delivers the build again, and still exactly one `end` is written: the success.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BUILDS_QUEUE, homePaths, hostQueueName } from "@berth/core";
import { connectRedis, type Redis } from "@berth/core/redis";
import { useInstance } from "./harness.js";
import { until } from "./lifecycle-helpers.js";

const b = useInstance();
let redis: Redis;
let work: string;
beforeAll(() => {
  redis = connectRedis(`unix://${homePaths(b.home).redisSocket}`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-once-"));
});
afterAll(async () => {
  redis?.disconnect();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const STOPPED_BUILD = `the worker on host ${os.hostname()} stopped during this build`;
const STOPPED_JOB = `the worker on host ${os.hostname()} stopped during this job`;

/** Processes of this instance whose command line is `argv` (RUN steps run inside its home). */
function processesRunning(argv: string[]): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, "utf8") !== `${argv.join("\0")}\0`) continue;
      if (fs.readFileSync(`/proc/${p}/mountinfo`, "utf8").includes(`${b.home}/`)) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The instance's worker process: node running worker/dist/main.js with this BERTH_HOME. */
function workerPids(): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("worker/dist/main.js")) continue;
      if (fs.readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${b.home}`)) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function killWorker(): Promise<void> {
  const [worker, ...others] = workerPids();
  expect(worker, "the instance's worker process").toBeDefined();
  expect(others).toEqual([]);
  process.kill(worker!, "SIGKILL");
  await until("a new worker that is ready", async () => workerPids().some((p) => p !== worker) && ((await (await fetch(`${b.url}/api/health`)).json()) as { hostsOnline?: number }).hostsOnline! > 0, 90_000);
}

function contextWith(dockerfile: string): string {
  const dir = fs.mkdtempSync(path.join(work, "ctx-"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), dockerfile);
  return dir;
}

/** The end events of every build stream in this instance. */
async function buildEnds(): Promise<{ stream: string; end: { ok: boolean; message?: string } }[]> {
  const out: { stream: string; end: { ok: boolean; message?: string } }[] = [];
  for (const key of await redis.keys("build:*")) {
    if ((await redis.type(key)) !== "stream") continue;
    for (const [, fields] of (await redis.xrange(key, "-", "+")) as [string, string[]][]) {
      const ev = JSON.parse(fields[fields.indexOf("e") + 1]!) as { type: string; ok: boolean; message?: string };
      if (ev.type === "end") out.push({ stream: key, end: ev });
    }
  }
  return out;
}

/** Waits until no job of `queue` is active or waiting, then returns them all. */
async function settledJobs(queueName: string) {
  const q = new Queue(queueName, { connection: redis });
  try {
    await until(`${queueName} settled`, async () => Object.values(await q.getJobCounts("active", "wait", "delayed")).every((n) => n === 0), 180_000);
    return await q.getJobs(["completed", "failed"]);
  } finally {
    await q.close();
  }
}

it("kill -9 of the worker mid-build: the build ends at once with the worker's stop, and never runs again", async () => {
  const marker = ["sleep", "31"];
  const ctx = contextWith(`FROM busybox\nRUN ${marker.join(" ")}\n`);
  const building = b.berth(["build", "-t", "once-killed:1", ctx], { timeoutMs: 240_000 });
  await until("the RUN step running", () => processesRunning(marker).length > 0, 120_000);
  await killWorker();
  const r = await building;
  expect(r.code, r.stdout + r.stderr).not.toBe(0);
  expect(r.stderr).toContain(STOPPED_BUILD);
  expect(r.stderr).not.toMatch(/TAR_BAD_ARCHIVE|ENOENT|credentials/);

  // The job is over for BullMQ too (nothing left to run again), and its stream holds one end.
  const jobs = await settledJobs(BUILDS_QUEUE);
  expect(jobs.map((j) => j.returnvalue)).toEqual([{ ok: false, kind: "Unavailable", message: STOPPED_BUILD }]);
  const ends = await buildEnds();
  expect(ends.map((e) => e.end)).toEqual([{ type: "end", ok: false, kind: "Unavailable", message: STOPPED_BUILD }]);
  expect((await b.berth(["image", "inspect", "once-killed:1"])).code).not.toBe(0);
}, 300_000);

it("kill -9 of the worker mid-push: the push ends at once with the worker's stop, and never runs again", async () => {
  // A registry that takes the push's first request and never answers it.
  const seen: string[] = [];
  const held: http.ServerResponse[] = [];
  const registry = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    held.push(res);
  });
  await new Promise<void>((resolve) => registry.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
  try {
    const ref = `${host}/x/once:1`;
    expect((await b.berth(["tag", "busybox", ref])).code).toBe(0);
    const pushing = b.berth(["push", ref], { timeoutMs: 240_000 });
    await until("the push reaching the registry", () => seen.length > 0, 60_000);
    await killWorker();
    const before = seen.length;
    const r = await pushing;
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    expect(r.stderr).toContain(STOPPED_JOB);
    expect(r.stderr).not.toMatch(/TAR_BAD_ARCHIVE|ENOENT|credentials/);

    const hostId = fs.readFileSync(homePaths(b.home).hostId, "utf8").trim();
    const pushes = (await settledJobs(hostQueueName(hostId))).filter((j) => j.name === "image.push");
    expect(pushes.map((j) => j.returnvalue)).toEqual([{ ok: false, kind: "Unavailable", message: STOPPED_JOB }]);
    // Not run again: the registry heard nothing after the worker died.
    expect(seen.length).toBe(before);
  } finally {
    for (const res of held) res.destroy();
    registry.closeAllConnections();
    registry.close();
  }
}, 300_000);

/** The parent of a process (for the worker: the launcher, scripts/start.mjs, which restarts it). */
function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

it("kill -9 of the worker mid-build while no worker comes back: web ends the build at once, with exactly one end", async () => {
  const stale = await redis.keys("build:*");
  if (stale.length) await redis.del(...stale);
  const earlier = new Set((await settledJobs(BUILDS_QUEUE)).map((j) => j.id));
  const marker = ["sleep", "33"];
  const ctx = contextWith(`FROM busybox\nRUN ${marker.join(" ")}\n`);
  const building = b.berth(["build", "-t", "once-lost:1", ctx], { timeoutMs: 150_000 });
  await until("the RUN step running", () => processesRunning(marker).length > 0, 120_000);
  const [worker] = workerPids();
  expect(worker, "the instance's worker process").toBeDefined();
  // The launcher paused: the worker is not started again, so no start-up check ends the build;
  // only web, which saw the worker's link drop, can (as for a host whose worker is gone).
  const launcher = parentOf(worker!);
  process.kill(launcher, "SIGSTOP");
  try {
    process.kill(worker!, "SIGKILL");
    const r = await building;
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    expect(r.stderr).toContain(STOPPED_BUILD);
    expect(workerPids()).toEqual([]);

    const ends = await buildEnds();
    expect(ends.map((e) => e.end)).toEqual([{ type: "end", ok: false, kind: "Unavailable", message: STOPPED_BUILD }]);
    const jobs = (await settledJobs(BUILDS_QUEUE)).filter((j) => !earlier.has(j.id));
    expect(jobs.map((j) => j.returnvalue)).toEqual([{ ok: false, kind: "Unavailable", message: STOPPED_BUILD }]);
  } finally {
    process.kill(launcher, "SIGCONT");
  }
  await until("a new worker that is ready", async () => workerPids().length > 0 && ((await (await fetch(`${b.url}/api/health`)).json()) as { hostsOnline?: number }).hostsOnline! > 0, 90_000);
  // The new worker finds nothing left to end, and the build still has its one end.
  expect((await buildEnds()).map((e) => e.end.message)).toEqual([STOPPED_BUILD]);
  expect((await b.berth(["image", "inspect", "once-lost:1"])).code).not.toBe(0);
}, 300_000);

it("Redis stopped past the builds' lock duration during a build that succeeds: exactly one end, the success", async () => {
  await redis.del(...(await redis.keys("build:*")));
  const marker = ["sleep", "32"];
  const ctx = contextWith(`FROM busybox\nRUN ${marker.join(" ")}\n`);
  const building = b.berth(["build", "-t", "once-stalled:1", ctx], { timeoutMs: 300_000 });
  await until("the RUN step running", () => processesRunning(marker).length > 0, 120_000);
  const redisPid = Number(fs.readFileSync(path.join(homePaths(b.home).redis, "redis.pid"), "utf8").trim());
  process.kill(redisPid, "SIGSTOP");
  try {
    // BullMQ's lock on a build lasts 60 s: Redis, stopped longer, lets it lapse.
    await new Promise((r) => setTimeout(r, 75_000));
  } finally {
    process.kill(redisPid, "SIGCONT");
  }
  const r = await building;
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toMatch(/Successfully built [0-9a-f]{12}/);

  await settledJobs(BUILDS_QUEUE);
  const ends = await buildEnds();
  expect(ends).toHaveLength(1);
  expect(ends[0]!.end).toMatchObject({ type: "end", ok: true });
  expect((await b.berth(["image", "inspect", "once-stalled:1"])).code).toBe(0);
}, 400_000);
