import { Job, Queue, Worker } from "bullmq";
import { expect, it } from "vitest";
import { BUILD_JOB, buildStreamKey, createLogger, endJobsOfStoppedWorker, jobOutcomeKey, workerStoppedMessage } from "@berth/core";
import { connectRedis } from "@berth/core/redis";
import { OnceJobs } from "./once.js";
import { useRedisServer } from "../testing/redis-server.js";

const srv = useRedisServer("once");

// A real redis-server on a socket of its own, and real BullMQ queues and workers.
const log = createLogger("once-test");

it("a job delivered again while it runs here waits for the first run: one run, one recorded outcome", async () => {
  const once = new OnceJobs(srv.redis, "h1", "box", "i1", log);
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const run = once.wrap("q1", async () => {
    runs++;
    await gate;
    return { ok: true, value: runs };
  });
  const job = { id: "7", name: "image.push", data: {} } as Job;
  const first = run(job, "t1");
  const second = run(job, "t2");
  release();
  expect(await first).toEqual({ ok: true, value: 1 });
  expect(await second).toEqual({ ok: true, value: 1 });
  // Delivered once more after it finished: the recorded outcome, no third run.
  expect(await run(job, "t3")).toEqual({ ok: true, value: 1 });
  expect(runs).toBe(1);
  expect(JSON.parse((await srv.redis.get(jobOutcomeKey("q1", "7")))!)).toEqual({ ok: true, value: 1 });
});

it("the next worker on the host ends the jobs its predecessor died in: the waiter hears at once, a build gets one end", async () => {
  const hostQueue = new Queue("host.h2", { connection: srv.redis });
  const builds = new Queue("builds2", { connection: srv.redis });
  // The "dead" worker: takes one job of each queue and never finishes them; then gone without a word.
  const dead = new OnceJobs(srv.redis, "h2", "box", "dead-1", log);
  const never = () => new Promise<never>(() => undefined);
  const conns = [connectRedis(srv.url), connectRedis(srv.url)];
  const w1 = new Worker("host.h2", dead.wrap("host.h2", never), { connection: conns[0]!, lockDuration: 600_000 });
  const w2 = new Worker("builds2", dead.wrap("builds2", never), { connection: conns[1]!, lockDuration: 600_000 });
  const buildId = "0d6f3b0e-8a55-4b8e-9c1a-3c2f1d9e7a11";
  const push = await hostQueue.add("image.push", { ref: "x" });
  const build = await builds.add(BUILD_JOB, { buildId });
  for (let i = 0; i < 200 && ((await push.getState()) !== "active" || (await build.getState()) !== "active"); i++) await new Promise((r) => setTimeout(r, 25));
  expect(await push.getState()).toBe("active");
  expect(await build.getState()).toBe("active");
  await Promise.all([w1.close(true), w2.close(true)]);
  for (const c of conns) c.disconnect();

  const next = new OnceJobs(srv.redis, "h2", "box", "next-1", log);
  const queues = new Map([
    ["host.h2", hostQueue],
    ["builds2", builds],
  ]);
  expect(await next.endInterrupted((n) => queues.get(n)!)).toBe(2);
  const jobMessage = workerStoppedMessage("box", "job");
  const buildMessage = workerStoppedMessage("box", "build");
  expect(await push.getState()).toBe("completed");
  expect((await hostQueue.getJob(push.id!))!.returnvalue).toEqual({ ok: false, kind: "Unavailable", message: jobMessage });
  expect((await builds.getJob(build.id!))!.returnvalue).toEqual({ ok: false, kind: "Unavailable", message: buildMessage });
  const ends = (await srv.redis.xrange(buildStreamKey(buildId), "-", "+")) as [string, string[]][];
  expect(ends.map(([, f]) => JSON.parse(f[1]!) as unknown)).toEqual([{ type: "end", ok: false, kind: "Unavailable", message: buildMessage }]);
  // Nothing left to end on a second start.
  expect(await next.endInterrupted((n) => queues.get(n)!)).toBe(0);
  await Promise.all([hostQueue.close(), builds.close()]);
});

it("web's end of a lost worker's jobs takes only that process's: a new worker's job on the host runs on", async () => {
  const hostQueue = new Queue("host.h3", { connection: srv.redis });
  const conn = connectRedis(srv.url);
  const dead = new OnceJobs(srv.redis, "h3", "box", "dead-3", log);
  const live = new OnceJobs(srv.redis, "h3", "box", "live-3", log);
  let release!: () => void;
  const held = new Promise<string>((resolve) => (release = () => resolve("done")));
  // Each wrap stands for one process; a job's name says which one takes it.
  const w = new Worker("host.h3", (job: Job, token?: string) => (job.name === "old" ? dead : live).wrap("host.h3", () => (job.name === "old" ? new Promise(() => undefined) : held))(job, token), {
    connection: conn,
    lockDuration: 600_000,
    concurrency: 2,
  });
  const old = await hostQueue.add("old", {});
  const fresh = await hostQueue.add("fresh", {});
  for (let i = 0; i < 200 && ((await old.getState()) !== "active" || (await fresh.getState()) !== "active"); i++) await new Promise((r) => setTimeout(r, 25));

  const ended = await endJobsOfStoppedWorker(srv.redis, {
    hostId: "h3",
    hostName: "box",
    whose: (e) => e.instance === "dead-3",
    complete: async (queue, jobId, outcome, token) => void (await (await Job.fromId(hostQueue, jobId))?.moveToCompleted(outcome, token, false)),
    log,
  });
  expect(ended.map((j) => j.name)).toEqual(["old"]);
  expect((await hostQueue.getJob(old.id!))!.returnvalue).toEqual({ ok: false, kind: "Unavailable", message: workerStoppedMessage("box", "job") });
  expect(await fresh.getState()).toBe("active");
  release();
  for (let i = 0; i < 200 && (await fresh.getState()) !== "completed"; i++) await new Promise((r) => setTimeout(r, 25));
  expect((await hostQueue.getJob(fresh.id!))!.returnvalue).toBe("done");
  await w.close(true);
  conn.disconnect();
  await hostQueue.close();
});
