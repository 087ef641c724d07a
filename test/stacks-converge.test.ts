/**
 * A stack converges in the worker, as a job on its host's queue (issue 15): `berth stack up`
 * prints the worker's per-service lines as Compose does; a worker killed (-9) mid-converge ends
 * the run at once with "the worker on host X stopped during this job", and `up` again finishes it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, expect, it } from "vitest";
import { JOB_STACK, homePaths } from "@berth/core";
import { connectRedis, type Redis } from "@berth/core/redis";
import { useInstance } from "./harness.js";
import { until } from "./poll.js";

const b = useInstance();
let redis: Redis;
let work: string;

beforeAll(() => {
  redis = connectRedis(`unix://${homePaths(b.home).redisSocket}`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-converge-"));
});
afterAll(() => {
  redis?.disconnect();
  fs.rmSync(work, { recursive: true, force: true });
});

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

function project(name: string, compose: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "compose.yaml"), compose);
  return dir;
}

/**
 * A project whose app waits for db to be healthy (depends_on: service_healthy): db runs `db` and
 * is healthy once the file `ready` exists, checked every `interval` up to `retries` times.
 */
function gated(name: string, db: string[], ready: string, interval: string, retries: number): string {
  return project(
    name,
    `services:
  db:
    image: busybox
    command: ${JSON.stringify(db)}
    healthcheck: { test: ["CMD", "test", "-f", "${ready}"], interval: ${interval}, retries: ${retries} }
  app:
    image: busybox
    command: ["sleep", "3600"]
    depends_on: { db: { condition: service_healthy } }
`,
  );
}

const up = (dir: string) => b.berth(["stack", "-f", path.join(dir, "compose.yaml"), "up", "-d"], { timeoutMs: 180_000 });
const ps = async (name: string) => JSON.parse((await b.berth(["stack", "ps", "-p", name, "--format", "json"])).stdout) as { service: string; state: string; health?: string }[];

/** Every stack.converge job the instance's queues hold, by state. */
async function convergeJobs(): Promise<{ name: string; state: string }[]> {
  const out: { name: string; state: string }[] = [];
  for (const key of await redis.keys("bull:host.*:meta")) {
    const q = new Queue(key.slice("bull:".length, -":meta".length), { connection: redis });
    try {
      for (const state of ["completed", "failed", "active", "wait"] as const) for (const j of await q.getJobs([state])) if (j.name === JOB_STACK.converge) out.push({ name: j.name, state });
    } finally {
      await q.close();
    }
  }
  return out;
}

it("up runs as a job in the worker and prints its lines as Compose does (Created, Started, Waiting, Healthy)", async () => {
  const dir = gated("lines", ["sh", "-c", "touch /tmp/ok; exec sleep 3600"], "/tmp/ok", "1s", 30);
  const r = await up(dir);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain(" Network lines_default  Created");
  expect(r.stderr).toContain(" Container lines-db-1  Created");
  expect(r.stderr).toContain(" Container lines-db-1  Started");
  expect(r.stderr).toContain(" Container lines-db-1  Waiting");
  expect(r.stderr).toContain(" Container lines-db-1  Healthy");
  expect(r.stderr).toContain(" Container lines-app-1  Started");
  expect((await convergeJobs()).filter((j) => j.state === "completed").length).toBeGreaterThanOrEqual(1);
  expect((await ps("lines")).map((x) => [x.service, x.state])).toEqual([
    ["app", "running"],
    ["db", "running"],
  ]);
  // Again: nothing changed, nothing recreated; the worker says each one runs.
  const again = await up(dir);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain(" Container lines-app-1  Running");
  expect(again.stderr).not.toContain("Created");
  expect((await b.berth(["stack", "down", "-p", "lines"])).code).toBe(0);
}, 300_000);

it("a service_healthy dependency counts as healthy once its check passes, not at its next interval; failures still count only on the interval", async () => {
  // An hour between checks: Docker's schedule would hold app back for that hour.
  const dir = gated("early", ["sh", "-c", "sleep 1; touch /tmp/ok; exec sleep 3600"], "/tmp/ok", "1h", 1);
  const r = await up(dir);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain(" Container early-db-1  Healthy");
  expect((await ps("early")).map((x) => [x.service, x.state, x.health])).toEqual([
    ["app", "running", undefined],
    ["db", "running", "healthy"],
  ]);
  // The early probes that failed (before /tmp/ok) are in its log but not in its failing streak: retries: 1 was not reached.
  const db = JSON.parse((await b.berth(["inspect", "early-db-1"])).stdout)[0].State.Health;
  expect(db.FailingStreak).toBe(0);
  expect(db.Log.at(-1).ExitCode).toBe(0);
  expect((await b.berth(["stack", "down", "-p", "early"])).code).toBe(0);
}, 300_000);

it("up creates a dependant's container while its dependency is not yet healthy, and starts it only once the dependency is", async () => {
  // db is healthy only once the test makes /tmp/ready: until then app can only be created.
  const dir = gated("ahead", ["sleep", "3600"], "/tmp/ready", "1s", 600);
  const upping = up(dir);
  await until("app's container, and db running", async () => {
    // Before the server recorded the stack, ps has no such stack.
    const r = await b.berth(["stack", "ps", "-p", "ahead", "--format", "json"]);
    const rows = r.code === 0 ? (JSON.parse(r.stdout) as { service: string; state: string }[]) : [];
    return rows.some((x) => x.service === "app") && rows.some((x) => x.service === "db" && x.state === "running");
  });
  expect((await ps("ahead")).map((x) => [x.service, x.state, x.health])).toEqual([
    ["app", "created", undefined],
    ["db", "running", "starting"],
  ]);
  expect((await b.berth(["exec", "ahead-db-1", "touch", "/tmp/ready"])).code).toBe(0);
  const r = await upping;
  expect(r.code, r.stderr).toBe(0);
  const at = (line: string) => r.stderr.indexOf(line);
  expect(at(" Container ahead-app-1  Created")).toBeGreaterThanOrEqual(0);
  expect(at(" Container ahead-app-1  Created")).toBeLessThan(at(" Container ahead-db-1  Healthy"));
  expect(at(" Container ahead-app-1  Started")).toBeGreaterThan(at(" Container ahead-db-1  Healthy"));
  expect((await ps("ahead")).map((x) => [x.service, x.state, x.health])).toEqual([
    ["app", "running", undefined],
    ["db", "running", "healthy"],
  ]);
  expect((await b.berth(["stack", "down", "-p", "ahead"])).code).toBe(0);
}, 300_000);

it("stop and down do not wait out the grace period of a PID 1 that cannot get the stop signal (no handler): SIGKILL at once", async () => {
  // `sleep` as PID 1 has no SIGTERM handler, so the kernel drops the signal: Docker would wait the hour.
  const dir = project(
    "deaf",
    `services:
  app:
    image: busybox
    command: ["sleep", "3600"]
    stop_grace_period: 1h
`,
  );
  expect((await up(dir)).code).toBe(0);
  const stop = await b.berth(["stack", "stop", "-p", "deaf"], { timeoutMs: 120_000 });
  expect(stop.code, stop.stderr).toBe(0);
  const rows = JSON.parse((await b.berth(["stack", "ps", "-p", "deaf", "--format", "json"])).stdout) as { state: string; exitCode: number }[];
  expect(rows.map((r) => [r.state, r.exitCode])).toEqual([["exited", 137]]);
  expect((await up(dir)).code).toBe(0);
  const down = await b.berth(["stack", "down", "-p", "deaf"], { timeoutMs: 120_000 });
  expect(down.code, down.stderr).toBe(0);
  expect(await ps("deaf")).toEqual([]);
}, 300_000);

it("kill -9 of the worker mid-converge: up ends at once with the worker's stop, and up again finishes the stack", async () => {
  // db becomes healthy only once /tmp/ready exists, which the test never makes before the kill:
  // the converge is certainly waiting on it when the worker dies.
  const dir = gated("killed", ["sh", "-c", "sleep 600; touch /tmp/ready; exec sleep 3600"], "/tmp/ready", "1s", 60);
  const [worker, ...others] = workerPids();
  expect(worker, "the instance's worker process").toBeDefined();
  expect(others).toEqual([]);
  const upping = up(dir);
  // The worker has written "Waiting" for db to its run's stream: the converge is under way.
  await until("the converge waiting on db", async () => {
    for (const key of await redis.keys("stack-run:*")) for (const [, f] of await redis.xrange(key, "-", "+")) if (f[1]?.includes('"Waiting"') && f[1].includes("killed-db-1")) return true;
    return false;
  });
  process.kill(worker!, "SIGKILL");
  const r = await upping;
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(`the worker on host ${os.hostname()} stopped during this job`);
  await until("a new worker that is ready", async () => workerPids().some((p) => p !== worker) && ((await (await fetch(`${b.url}/api/health`)).json()) as { hostsOnline?: number }).hostsOnline! > 0, 90_000);

  // Now healthy soon: up again converges from where the dead run left the stack.
  fs.writeFileSync(path.join(dir, "compose.yaml"), fs.readFileSync(path.join(dir, "compose.yaml"), "utf8").replace("sleep 600; touch /tmp/ready", "sleep 1; touch /tmp/ready"));
  const again = await up(dir);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain(" Container killed-db-1  Healthy");
  const rows = await ps("killed");
  expect(rows.map((x) => [x.service, x.state])).toEqual([
    ["app", "running"],
    ["db", "running"],
  ]);
  // The dead run's job ended once, failed, and is not run again.
  const jobs = await convergeJobs();
  expect(jobs.filter((j) => j.state === "active" || j.state === "wait")).toEqual([]);
  expect((await b.berth(["stack", "down", "-p", "killed"])).code).toBe(0);
}, 300_000);
