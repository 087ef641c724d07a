import { Job } from "bullmq";
import { endJobsOfStoppedWorker } from "@berth/core";
import type { Services } from "../services.js";

/**
 * Ends the jobs a worker process was running when its /agent link was lost (kill -9, crash, a
 * host gone): each with "the worker on host X stopped during this build/job", at once, instead of
 * after BullMQ's stall check (which needs a live worker, and then runs the job again without its
 * context or credentials). Only that process's jobs: a new worker on the host keeps its own.
 */
export async function endJobsOfLostWorker(s: Pick<Services, "db" | "redis" | "queues" | "log">, hostId: string, instance: string): Promise<number> {
  const host = await s.db.host.findUnique({ where: { id: hostId }, select: { name: true } });
  const ended = await endJobsOfStoppedWorker(s.redis, {
    hostId,
    hostName: host?.name ?? hostId,
    whose: (e) => e.instance === instance,
    complete: async (queue, jobId, outcome, token) => {
      const job = await Job.fromId(s.queues.get(queue), jobId);
      await job?.moveToCompleted(outcome, token, false);
    },
    log: s.log,
  });
  for (const j of ended) s.log.warn({ hostId, queue: j.queue, job: j.name, jobId: j.jobId }, "ended a job whose worker stopped");
  return ended.length;
}
