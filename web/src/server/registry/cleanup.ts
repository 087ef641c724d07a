/** The registry's clean-up of the content store: the store's one garbage collector, from web. */
import path from "node:path";
import { homePaths, type Logger } from "@berth/core";
import { collectGarbage, ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";

/**
 * The registry's own clean-up runs outside the worker's store lock (another process), so it
 * keeps blobs younger than this: a build or load on this host may have written them and not
 * yet its image row.
 */
export const REGISTRY_GC_GRACE_MS = 3600 * 1000;

/**
 * Blobs nothing references any more (registry deletes leave them behind), through the content
 * store's one collector, which knows the host's images and build cache as well as the
 * registry's rows. Snapshots are the worker's to sweep.
 */
export async function cleanUpContent(db: PrismaClient, home: string, log: Logger, graceMs = REGISTRY_GC_GRACE_MS): Promise<{ removed: number; bytes: number }> {
  const paths = homePaths(home);
  const store = new ContentStore(paths.content);
  const r = await collectGarbage({ db, store, buildCacheDir: path.join(paths.builds, "cache"), graceMs, log });
  return { removed: r.blobsRemoved, bytes: r.bytesReclaimed };
}
