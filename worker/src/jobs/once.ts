import { Job, type Queue } from "bullmq";
import { activeJobsKey, BUILD_JOB, BuildJob, JOB_OUTCOME_TTL_SECONDS, jobOutcomeKey, readBuildEnd, workerStoppedMessage, writeBuildEnd, type Logger } from "@berth/core";
import type { Redis } from "@berth/core/redis";

type Handler = (job: Job) => Promise<unknown>;
interface Entry {
  token: string;
  name: string;
  buildId?: string;
}

/**
 * Gives each job one outcome. A job runs once per worker process: a second delivery (BullMQ
 * re-queues a job whose lock lapsed, e.g. after a Redis stall) while the first run is still
 * going here waits for that run's result. The result is recorded once in Redis (SET NX), so a
 * run on any worker after it finds it. Running jobs are listed under the host's id, so that
 * the next worker on this host ends at once those its predecessor was running when it died.
 */
export class OnceJobs {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    hostId: string,
    private readonly hostName: string,
    private readonly log: Logger,
  ) {
    this.key = activeJobsKey(hostId);
  }

  /** The processor for `queue`: runs `handler` at most once per job and records its result. */
  wrap(queue: string, handler: Handler): (job: Job, token?: string) => Promise<unknown> {
    return (job, token) => {
      const id = `${queue}\t${job.id}`;
      const entry: Entry = { token: token ?? "", name: job.name, ...(job.name === BUILD_JOB ? { buildId: BuildJob.shape.buildId.safeParse(job.data?.buildId).data } : {}) };
      // Looked up before any await: two deliveries arriving together must not both start a run.
      const running = this.inflight.get(id);
      if (running) {
        this.log.warn({ queue, job: job.name, id: job.id }, "a job still running here was delivered again (its lock lapsed): waiting for the first run");
        // The lock's token changes with each delivery: the entry keeps the one that holds it now.
        void this.redis.hset(this.key, id, JSON.stringify(entry)).catch((err: unknown) => this.log.warn({ err, id }, "updating a job's entry in the host's active list failed"));
        return running;
      }
      const run = (async () => {
        await this.redis.hset(this.key, id, JSON.stringify(entry));
        try {
          const recorded = await this.redis.get(jobOutcomeKey(queue, job.id!));
          if (recorded !== null) {
            this.log.warn({ queue, job: job.name, id: job.id }, "a job that already has an outcome was delivered again: returning that outcome");
            return JSON.parse(recorded) as unknown;
          }
          const value = await handler(job);
          await this.redis.set(jobOutcomeKey(queue, job.id!), JSON.stringify(value ?? null), "EX", JOB_OUTCOME_TTL_SECONDS, "NX");
          return value;
        } finally {
          await this.redis.hdel(this.key, id).catch((err: unknown) => this.log.warn({ err, id }, "removing a finished job from the host's active list failed"));
        }
      })();
      this.inflight.set(id, run);
      void run.catch(() => undefined).finally(() => this.inflight.delete(id));
      return run;
    };
  }

  /**
   * At start-up, before taking jobs: the jobs the previous worker on this host was running when
   * it died end now, failed with "the worker on host X stopped during this …", instead of
   * waiting for BullMQ's stall check to run them again without their context or credentials.
   */
  async endInterrupted(queues: (name: string) => Queue): Promise<number> {
    const all = await this.redis.hgetall(this.key);
    let n = 0;
    for (const [id, raw] of Object.entries(all)) {
      const [queue, jobId] = id.split("\t") as [string, string];
      const entry = JSON.parse(raw) as Entry;
      const isBuild = entry.name === BUILD_JOB;
      const message = workerStoppedMessage(this.hostName, isBuild ? "build" : "job");
      let outcome: unknown = { ok: false, kind: "Unavailable", message };
      if (isBuild && entry.buildId) {
        // A build that wrote its end before the worker died keeps it: the job's value follows the end.
        const wrote = await writeBuildEnd(this.redis, entry.buildId, { type: "end", ok: false, kind: "Unavailable", message });
        if (!wrote) outcome = { ok: (await readBuildEnd(this.redis, entry.buildId))?.ok ?? false };
      }
      const first = await this.redis.set(jobOutcomeKey(queue, jobId), JSON.stringify(outcome), "EX", JOB_OUTCOME_TTL_SECONDS, "NX");
      const job = await Job.fromId(queues(queue), jobId);
      if (job && first === "OK" && entry.token) {
        // Completed with the failure as its value (errors travel as values, see JobOutcome): whoever waits learns now.
        await job.moveToCompleted(outcome, entry.token, false).catch((err: unknown) =>
          // The lock lapsed already: BullMQ runs the job again, and that run finds the outcome recorded above.
          this.log.warn({ err: (err as Error).message, queue, jobId }, "could not end an interrupted job now; its next run will"),
        );
      }
      await this.redis.hdel(this.key, id);
      this.log.warn({ queue, job: entry.name, jobId }, "ended a job the previous worker on this host was running when it stopped");
      n++;
    }
    return n;
  }
}
