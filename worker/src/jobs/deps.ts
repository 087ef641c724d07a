import path from "node:path";
import type { Logger } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import type { Snapshots } from "../images/index.js";

/** What image jobs need from the worker. */
export interface ImageJobDeps {
  db: PrismaClient;
  blobs: ContentStore;
  snapshots: Snapshots;
  /** $BERTH_HOME/builds: where web leaves uploads and picks up archives (shared in single-host mode). */
  buildsDir: string;
  containersDir: string;
  hostId: string;
  log: Logger;
}

/** A payload's file name (validated by its schema as "<uuid>.tar") inside the builds dir. */
export const buildsFile = (d: ImageJobDeps, name: string) => path.join(d.buildsDir, path.basename(name));
