import path from "node:path";
import type { Job } from "bullmq";
import { config, ImageBootstrapJob, type ImageBootstrapResult, type JobOutcome, type RegistryProgress } from "@berth/core";
import { bootstrapDebian } from "../images/bootstrap.js";
import type { ImageJobDeps } from "./deps.js";
import { outcome } from "./outcome.js";

/** `image.bootstrap`: debian:<suite> made by debootstrap on this host, once; debootstrap's lines as progress. */
export default function imageBootstrap(d: ImageJobDeps) {
  return async (job: Job): Promise<JobOutcome<ImageBootstrapResult>> => {
    const { ref, mirror } = ImageBootstrapJob.parse(job.data);
    return outcome(d.log, "image bootstrap", async () => {
      const progress = (status: string) => {
        const p: RegistryProgress = { id: "", status };
        void job.updateProgress(p as unknown as object).catch(() => undefined);
      };
      const started = Date.now();
      const r = await bootstrapDebian(
        { db: d.db, blobs: d.blobs, scratchDir: d.buildsDir, cacheDir: path.join(config().home, "cache", "debootstrap") },
        ref,
        { mirror, onLine: progress },
      );
      d.log.info({ ...r, ms: Date.now() - started }, r.cached ? "bootstrap image already made" : "image bootstrapped");
      return r;
    });
  };
}
