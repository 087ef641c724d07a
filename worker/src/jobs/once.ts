import { Job, type Queue } from "bullmq";
import { activeJobsKey, BUILD_JOB, BuildJob, endJobsOfStoppedWorker, JOB_OUTCOME_TTL_SECONDS, jobOutcomeKey, type ActiveJob, type Logger } from "@berth/core";
import type { Redis } from "@berth/core/redis";

type Handler = (job: Job) => Promise<unknown>;

/**
 * Gives each job one outcome. A job runs once per worker process: a second delivery (BullMQ
 * re-queues a job whose lock lapsed, e.g. after a Redis stall) while the first run is still
 * going here waits for that run's result. The result is recorded once in Redis (SET NX), so a
 * run on any worker after it finds it. Running jobs are listed under the host's id with this
 * process's instance id, so that web (when this process's /agent link drops) or the next worker
 * on this host ends at once those this one was running when it died.
 */
export class OnceJobs {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    private readonly hostId: string,
    private readonly hostName: string,
    /** This process's id (it also presents it on its /agent link). */
    private readonly instance: string,
    private readonly log: Logger,
  ) {
    this.key = activeJobsKey(hostId);
  }

  /** The processor for `queue`: runs `handler` at most once per job and records its result. */
  wrap(queue: string, handler: Handler): (job: Job, token?: string) => Promise<unknown> {
    return (job, token) => {
      const id = `${queue}\t${job.id}`;
      const entry: ActiveJob = { token: token ?? "", name: job.name, instance: this.instance, ...(job.name === BUILD_JOB ? { buildId: BuildJob.shape.buildId.safeParse(job.data?.buildId).data } : {}) };
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
    const ended = await endJobsOfStoppedWorker(this.redis, {
      hostId: this.hostId,
      hostName: this.hostName,
      // Before this process takes any job: every entry is a dead predecessor's.
      whose: (e) => e.instance !== this.instance,
      complete: async (queue, jobId, outcome, token) => {
        const job = await Job.fromId(queues(queue), jobId);
        await job?.moveToCompleted(outcome, token, false);
      },
      log: this.log,
    });
    for (const j of ended) this.log.warn({ queue: j.queue, job: j.name, jobId: j.jobId }, "ended a job the previous worker on this host was running when it stopped");
    return ended.length;
  }
}
