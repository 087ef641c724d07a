import { QueueEvents, type Job } from "bullmq";
import { BerthError, hostQueueName, Unavailable, type ErrorKind, type JobOutcome } from "@berth/core";
import type { Services } from "../services.js";
import { asBerthError } from "../errors.js";
import { pickHost } from "../hosts.js";

const KINDS = new Set<string>(["NotFound", "AlreadyExists", "InvalidArgument", "FailedPrecondition", "Unavailable", "Unauthenticated", "PermissionDenied"]);

/** One QueueEvents (a blocking Redis reader) per host queue, made on first use, for the life of the process. */
const events = new Map<string, Promise<QueueEvents>>();

function queueEvents(s: Services, queue: string): Promise<QueueEvents> {
  let qe = events.get(queue);
  if (!qe) {
    qe = (async () => {
      const q = new QueueEvents(queue, { connection: s.blockingRedis() });
      q.on("error", (err) => s.log.warn({ err: err.message, queue }, "queue events error"));
      await q.waitUntilReady();
      return q;
    })();
    qe.catch(() => events.delete(queue));
    events.set(queue, qe);
  }
  return qe;
}

/** The host an image operation runs on: single-host mode has one; with several, any online one (images reach hosts through the registry). */
export async function imageHost(s: Services): Promise<string> {
  const host = await pickHost(s.db);
  if (!host) throw new Unavailable("no worker host is online: start one with npm start");
  return host.id;
}

export interface HostJobOptions {
  hostId: string;
  /** How long to wait for the worker (big archives take a while). */
  timeoutMs?: number;
  onProgress?: (progress: unknown) => void;
}

/**
 * Enqueues a job on a host's queue and waits for its outcome. The worker returns errors as
 * values (JobOutcome), so their kind comes back as the same BerthError kind here.
 */
export async function runHostJob<T>(s: Services, name: string, payload: object, o: HostJobOptions): Promise<T> {
  const queue = hostQueueName(o.hostId);
  const qe = await queueEvents(s, queue);
  let job: Job;
  try {
    job = await s.queues.get(queue).add(name, payload, { removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 24 * 3600, count: 1000 } });
  } catch (err) {
    throw new Unavailable(`could not reach the job queue: ${(err as Error).message}`, { cause: err });
  }
  const onProgress = o.onProgress
    ? ({ jobId, data }: { jobId: string; data: unknown }) => {
        if (jobId === job.id) o.onProgress!(data);
      }
    : undefined;
  if (onProgress) qe.on("progress", onProgress);
  let out: JobOutcome<T>;
  try {
    out = (await job.waitUntilFinished(qe, o.timeoutMs ?? 60_000)) as JobOutcome<T>;
  } catch (err) {
    const msg = (err as Error).message;
    if (/timed out/i.test(msg)) throw new Unavailable(`the worker did not finish ${name} in time`, { cause: err });
    throw new Error(`${name} failed on the worker: ${msg}`, { cause: err });
  } finally {
    if (onProgress) qe.off("progress", onProgress);
  }
  if (!out || typeof out !== "object") throw new Error(`${name}: the worker returned no result`);
  if (out.ok) return out.value;
  if (KINDS.has(out.kind)) throw new BerthError(out.kind as ErrorKind, out.message);
  throw new Error(out.message);
}

/**
 * Runs a host job and answers NDJSON while it runs: `{"progress":…}` per progress report of the
 * worker, then `{"result":…}` or `{"error":{kind,message}}` (the status is 200 by then).
 */
export async function streamJob<T>(
  s: Services,
  res: import("node:http").ServerResponse,
  name: string,
  payload: object,
  o: Omit<HostJobOptions, "onProgress">,
  /** Runs before the answer ends (an upload removed then is gone when the client sees the end). */
  beforeEnd?: () => Promise<unknown>,
): Promise<T | undefined> {
  res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" });
  const line = (x: unknown) => res.write(`${JSON.stringify(x)}\n`);
  try {
    const result = await runHostJob<T>(s, name, payload, { ...o, onProgress: (p) => line({ progress: p }) });
    line({ result });
    return result;
  } catch (err) {
    const berth = asBerthError(err);
    if (!berth) s.log.error({ err, job: name }, "job failed");
    line({ error: { kind: berth?.kind ?? "Internal", message: berth?.message ?? (err as Error).message } });
    return undefined;
  } finally {
    await beforeEnd?.().catch((err: unknown) => s.log.warn({ err, job: name }, "cleaning up after the job failed"));
    res.end();
  }
}
