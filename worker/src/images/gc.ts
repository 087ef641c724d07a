/**
 * The worker's side of the content store's one garbage collector (core's `collectGarbage`):
 * it runs under the store lock, with this host's snapshots and build cache, and `system df`.
 */
import path from "node:path";
import type { Logger } from "@berth/core";
import { collectGarbage as collect, du, listBlobs, listSnapshots, markReferences, type ContentStore, type GcResult } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { storeLock } from "./lock.js";
import type { Snapshots } from "./snapshots.js";

export { du, GC_GRACE_MS, type GcResult } from "@berth/core/content";

export interface GcDeps {
  db: PrismaClient;
  blobs: ContentStore;
  snapshots: Snapshots;
  /** $BERTH_HOME/builds: the build cache's entries naming swept layers go with them. */
  buildsDir?: string;
  log?: Logger;
}

/**
 * Mark and sweep under the store lock (no load or commit runs meanwhile): removes the blobs
 * and snapshots nothing refers to (see core/src/content/gc.ts for every kind of reference). A
 * container holds its image by row, and the row cannot be deleted while the container exists,
 * so a running container's snapshots are always marked.
 */
export function collectGarbage(d: GcDeps, opts: { dryRun?: boolean; graceMs?: number } = {}): Promise<GcResult> {
  return storeLock.exclusive(() =>
    collect({
      db: d.db,
      store: d.blobs,
      snapshotsDir: d.snapshots.root,
      buildCacheDir: d.buildsDir ? path.join(d.buildsDir, "cache") : undefined,
      graceMs: opts.graceMs,
      dryRun: opts.dryRun,
      log: d.log,
    }),
  );
}

export interface DiskUsage {
  images: { total: number; active: number; size: number; reclaimable: number };
  containers: { total: number; active: number; size: number; reclaimable: number; sizes: Record<string, number> };
  content: { blobs: number; blobBytes: number; snapshots: number; snapshotBytes: number };
}

/** `system df`: image sizes count each blob once; a blob is reclaimable when only unused images hold it. */
export async function diskUsage(d: GcDeps & { containersDir: string; hostId: string }, teamId?: string): Promise<DiskUsage> {
  const marks = await markReferences(d.db, d.blobs);
  let files = await listBlobs(d.blobs);
  const containers = await d.db.container.findMany({ where: { hostId: d.hostId, ...(teamId ? { teamId } : {}) }, select: { id: true, imageId: true, state: true } });
  const used = new Set(containers.map((c) => c.imageId));
  // A team counts what it sees (as `images` lists it): its tags, shared bases and its containers' images;
  // the store's content then only as far as those images hold it.
  let snaps = await listSnapshots(d.snapshots.root);
  if (teamId) {
    const seen = await d.db.image.findMany({ where: { OR: [{ tags: { some: { OR: [{ teamId }, { teamId: null }] } } }, { id: { in: [...used] } }] }, select: { id: true } });
    const visible = new Set(seen.map((i) => i.id));
    for (const id of [...marks.images.keys()]) if (!visible.has(id)) marks.images.delete(id);
    const blobs = new Set([...marks.images.values()].flatMap((o) => o.blobs));
    const chains = new Set([...marks.images.values()].flatMap((o) => o.chains));
    files = files.filter((f) => blobs.has(f.digest));
    snaps = snaps.filter((s) => chains.has(s.chain));
  }
  const sizeOf = new Map(files.map((f) => [f.digest, f.size]));
  const all = new Set<string>();
  const inUse = new Set<string>();
  for (const [id, own] of marks.images) {
    for (const b of own.blobs) {
      all.add(b);
      if (used.has(id)) inUse.add(b);
    }
  }
  const sum = (s: Iterable<string>) => [...s].reduce((n, b) => n + (sizeOf.get(b) ?? 0), 0);
  const size = sum(all);
  let containerBytes = 0;
  let containerReclaimable = 0;
  const sizes: Record<string, number> = {};
  for (const c of containers) {
    const bytes = await du(path.join(d.containersDir, c.id, "upper"));
    sizes[c.id] = bytes;
    containerBytes += bytes;
    if (c.state !== "running") containerReclaimable += bytes;
  }
  let snapshotBytes = 0;
  for (const s of snaps) snapshotBytes += await du(s.dir);
  return {
    images: { total: marks.images.size, active: [...marks.images.keys()].filter((id) => used.has(id)).length, size, reclaimable: size - sum(inUse) },
    containers: { total: containers.length, active: containers.filter((c) => c.state === "running").length, size: containerBytes, reclaimable: containerReclaimable, sizes },
    content: { blobs: files.length, blobBytes: files.reduce((n, f) => n + f.size, 0), snapshots: snaps.length, snapshotBytes },
  };
}
