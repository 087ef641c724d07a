import type { Job } from "bullmq";
import { RegistryCheckJob, Unavailable, type JobOutcome, type Logger } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import { RegistryClient, takeCredential, TransientError } from "../registry-client/index.js";
import { outcome } from "./outcome.js";

/** `registry.check`: whether a registry accepts the job's one-time credential (see RegistryCheckJob). */
export default function registryCheck(d: { redis: Redis; log: Logger }) {
  return async (job: Job): Promise<JobOutcome<{ registry: string }>> => {
    const { registry, credentialKey } = RegistryCheckJob.parse(job.data);
    return outcome(d.log, "registry check", async () => {
      const creds = await takeCredential(d.redis, credentialKey);
      // Three tries, not five: someone waits at the prompt.
      const client = new RegistryClient({ registry, attempts: 3, ...(creds ? { creds } : {}) });
      try {
        await client.ping();
      } catch (e) {
        if (e instanceof TransientError) throw new Unavailable(`${registry} could not be reached: ${e.message}`, { cause: e });
        throw e;
      }
      return { registry };
    });
  };
}
