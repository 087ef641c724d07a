import { z } from "zod";

/** BullMQ queue names. Container operations go to the queue of the host that owns the container. */
export const BUILDS_QUEUE = "builds";
export const hostQueueName = (hostId: string) => `host.${hostId}`;

/** Job names on a host queue. */
export const JOB = {
  containerRun: "container.run",
  containerKill: "container.kill",
} as const;

/** Payloads carry ids, never secrets; the worker reads the rest from the DB. */
export const ContainerRunJob = z.object({ containerId: z.string().regex(/^[0-9a-f]{64}$/) });
export type ContainerRunJob = z.infer<typeof ContainerRunJob>;

export const ContainerKillJob = z.object({
  containerId: z.string().regex(/^[0-9a-f]{64}$/),
  signal: z.number().int().min(1).max(64).default(15),
});
export type ContainerKillJob = z.infer<typeof ContainerKillJob>;
