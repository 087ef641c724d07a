import fs from "node:fs/promises";
import path from "node:path";
import { chainIds, type ImageConfig, type ImageManifest, type Logger } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { compressedCopies } from "./compressed-layer.js";
import { storeLock } from "./lock.js";
import type { Snapshots } from "./snapshots.js";

export interface GcDeps {
  db: PrismaClient;
  blobs: ContentStore;
  snapshots: Snapshots;
  log?: Logger;
}

/**
 * Blobs written less than this long ago are never swept. Berth's own writers hold the store
 * lock until their rows exist; the registry (in web) commits a blob and then inserts its row
 * a moment later, outside that lock: the grace period covers that window.
 */
export const GC_GRACE_MS = 60_000;

interface Marks {
  blobs: Set<string>;
  chains: Set<string>;
  /** Per image id: its blobs (manifest, config, layers) and its chain ids. */
  images: Map<string, { blobs: string[]; chains: string[] }>;
}

/** Digests the registry's rows hold (its repositories' blobs and manifests). Absent tables count as none. */
async function registryRoots(db: PrismaClient): Promise<string[]> {
  const out: string[] = [];
  for (const table of ["RepoBlob", "RepoManifest"]) {
    try {
      const rows = await db.$queryRawUnsafe<{ digest: string }[]>(`SELECT DISTINCT "digest" FROM "${table}"`);
      out.push(...rows.map((r) => r.digest));
    } catch (e) {
      if (!/no such table/i.test(String((e as Error).message))) throw e;
    }
  }
  return out;
}

/** Mark: every blob and snapshot reachable from an Image row (containers hold theirs by row) or a registry row. */
async function mark(db: PrismaClient, blobs: ContentStore): Promise<Marks> {
  const m: Marks = { blobs: new Set(), chains: new Set(), images: new Map() };
  for (const row of await db.image.findMany({ select: { id: true, manifestDigest: true } })) {
    const own = { blobs: [row.manifestDigest, row.id], chains: [] as string[] };
    try {
      const manifest = JSON.parse((await blobs.read(row.manifestDigest)).toString("utf8")) as ImageManifest;
      own.blobs.push(manifest.config.digest, ...manifest.layers.map((l) => l.digest));
      const config = JSON.parse((await blobs.read(manifest.config.digest)).toString("utf8")) as ImageConfig;
      own.chains.push(...chainIds(config.rootfs.diff_ids));
    } catch {
      /* a broken image keeps what it still has; nothing more to mark */
    }
    own.blobs.forEach((b) => m.blobs.add(b));
    // The gzip copies pushes made of its plain layers: kept, as Docker keeps them, so a re-push sends the same bytes.
    for (const c of await compressedCopies(blobs, own.blobs)) m.blobs.add(c);
    own.chains.forEach((c) => m.chains.add(c));
    m.images.set(row.id, own);
  }
  for (const d of await registryRoots(db)) {
    m.blobs.add(d);
    // A registry manifest keeps its config and layers.
    try {
      const j = JSON.parse((await blobs.read(d)).toString("utf8")) as Partial<ImageManifest> & { manifests?: { digest: string }[] };
      if (j.config?.digest) m.blobs.add(j.config.digest);
      for (const l of j.layers ?? []) m.blobs.add(l.digest);
      for (const x of j.manifests ?? []) m.blobs.add(x.digest);
    } catch {
      /* a layer blob, or not JSON: nothing below it */
    }
  }
  return m;
}

async function blobFiles(blobs: ContentStore): Promise<{ digest: string; size: number; mtimeMs: number }[]> {
  const out = [];
  for (const name of await fs.readdir(blobs.blobs).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const st = await fs.stat(path.join(blobs.blobs, name)).catch(() => undefined);
    if (st) out.push({ digest: `sha256:${name}`, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}

async function snapshotDirs(snapshots: Snapshots): Promise<{ chain: string; dir: string; mtimeMs: number }[]> {
  const out = [];
  for (const name of await fs.readdir(snapshots.root).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue; // ".tmp-" dirs are unpacks in progress
    const dir = path.join(snapshots.root, name);
    const st = await fs.stat(dir).catch(() => undefined);
    if (st) out.push({ chain: `sha256:${name}`, dir, mtimeMs: st.mtimeMs });
  }
  return out;
}

/** Bytes under a directory (apparent sizes; hard links counted once). */
export async function du(dir: string, seen = new Set<string>()): Promise<number> {
  let total = 0;
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = path.join(dir, e.name);
    const st = await fs.lstat(p).catch(() => undefined);
    if (!st) continue;
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    if (st.isDirectory()) total += await du(p, seen);
    else if (st.isFile()) total += st.size;
  }
  return total;
}

export interface GcResult {
  blobsRemoved: number;
  snapshotsRemoved: number;
  bytesReclaimed: number;
}

/**
 * Mark and sweep under the store lock (no load or commit runs meanwhile): removes the blobs
 * and snapshots no image row or registry row reaches. A container holds its image by row,
 * and the row cannot be deleted while the container exists, so a running container's
 * snapshots are always marked.
 */
export async function collectGarbage(d: GcDeps, opts: { dryRun?: boolean; graceMs?: number } = {}): Promise<GcResult> {
  const grace = opts.graceMs ?? GC_GRACE_MS;
  return storeLock.exclusive(async () => {
    const marks = await mark(d.db, d.blobs);
    const cutoff = Date.now() - grace;
    const r: GcResult = { blobsRemoved: 0, snapshotsRemoved: 0, bytesReclaimed: 0 };
    for (const b of await blobFiles(d.blobs)) {
      if (marks.blobs.has(b.digest) || b.mtimeMs > cutoff) continue;
      if (!opts.dryRun) await fs.rm(d.blobs.blobPath(b.digest), { force: true });
      r.blobsRemoved++;
      r.bytesReclaimed += b.size;
    }
    for (const s of await snapshotDirs(d.snapshots)) {
      if (marks.chains.has(s.chain) || s.mtimeMs > cutoff) continue;
      const size = await du(s.dir);
      if (!opts.dryRun) {
        // Renamed first, so a crash mid-delete leaves a ".tmp-" leftover (removed at start-up), never a half snapshot under its name.
        const doomed = `${s.dir}.tmp-gc`;
        await fs.rename(s.dir, doomed);
        await fs.rm(doomed, { recursive: true, force: true });
      }
      r.snapshotsRemoved++;
      r.bytesReclaimed += size;
    }
    if (r.blobsRemoved || r.snapshotsRemoved) d.log?.info({ ...r, dryRun: !!opts.dryRun }, "garbage collected");
    return r;
  });
}

export interface DiskUsage {
  images: { total: number; active: number; size: number; reclaimable: number };
  containers: { total: number; active: number; size: number; reclaimable: number; sizes: Record<string, number> };
  content: { blobs: number; blobBytes: number; snapshots: number; snapshotBytes: number };
}

/** `system df`: image sizes count each blob once; a blob is reclaimable when only unused images hold it. */
export async function diskUsage(d: GcDeps & { containersDir: string; hostId: string }, teamId?: string): Promise<DiskUsage> {
  const marks = await mark(d.db, d.blobs);
  let files = await blobFiles(d.blobs);
  const containers = await d.db.container.findMany({ where: { hostId: d.hostId, ...(teamId ? { teamId } : {}) }, select: { id: true, imageId: true, state: true } });
  const used = new Set(containers.map((c) => c.imageId));
  // A team counts what it sees (as `images` lists it): its tags, shared bases and its containers' images;
  // the store's content then only as far as those images hold it.
  let snaps = await snapshotDirs(d.snapshots);
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
