/**
 * Writing a release: the next number of its environment, the images by digest, the compose
 * project, the health check, the release command, and the environment's config as it is now
 * (sealed, with its version). Written once; afterwards only its state moves (deploy.ts).
 */
import { ReleaseHealth, ReleaseImages } from "@berth/core";
import { ComposeProject } from "@berth/core/compose";
import type { Db, PrismaClient } from "@berth/core/db";
import { newRowId } from "../auth/crypto.js";
import { configSnapshot, type SealedConfig } from "../environments/config.js";

export interface NewRelease {
  environmentId: string;
  images: ReleaseImages;
  /** Every service's image named by its id ("sha256:…"). */
  project: ComposeProject;
  health: ReleaseHealth;
  releaseCommand: string | null;
  sha: string | null;
  /** Why it exists: "push main", "promote staging v3", "rollback to v2", "config". */
  reason: string;
  /** "<environment> v<number>" it came from. */
  source: string | null;
  createdBy: { id: string | null; name: string };
  /** The config to record; default: the environment's config now. */
  config?: { config: SealedConfig; configVersion: number };
}

const TRIES = 5;

export async function createRelease(db: PrismaClient, r: NewRelease): Promise<Db.Release> {
  const images = ReleaseImages.parse(r.images);
  const health = ReleaseHealth.parse(r.health);
  const project = ComposeProject.parse(r.project);
  const cfg = r.config ?? (await configSnapshot(db, r.environmentId));
  // Two releases made at once for one environment: the unique (environment, number) lets one
  // through; the other takes the next number.
  for (let i = 0; ; i++) {
    const last = await db.release.findFirst({ where: { environmentId: r.environmentId }, orderBy: { number: "desc" }, select: { number: true } });
    try {
      return await db.release.create({
        data: {
          id: newRowId(),
          environmentId: r.environmentId,
          number: (last?.number ?? 0) + 1,
          images: JSON.stringify(images),
          project: JSON.stringify(project),
          config: JSON.stringify(cfg.config),
          configVersion: cfg.configVersion,
          health: JSON.stringify(health),
          releaseCommand: r.releaseCommand,
          sha: r.sha,
          reason: r.reason,
          source: r.source,
          createdById: r.createdBy.id,
          createdByName: r.createdBy.name,
          state: "pending",
        },
      });
    } catch (err) {
      if ((err as { code?: string }).code !== "P2002" || i >= TRIES) throw err;
    }
  }
}
