/**
 * The one garbage collector of a host's content store: `image prune`, `system prune` (both
 * through the worker's `image.gc` job) and the registry's own clean-up (web, hourly and
 * `repo gc`) all call `collectGarbage`, so they agree on what is still in use.
 *
 * Mark, from every reference there is:
 * - local images (Image rows): manifest, config, layers, the gzip copies pushes made of plain
 *   layers (content/compressed/), and the snapshots of their chain ids;
 * - the registry (RepoBlob and RepoManifest rows): the blobs repositories hold, their manifests
 *   and everything those name (config, layers, an index's children, a referrer's subject);
 * - uploads and writes in progress: bytes still in content/uploads or content/ingest are not
 *   blobs yet and are never touched here; a blob younger than the grace period is kept, so one
 *   committed a moment ago whose row is not written yet (an upload's last PUT, a load, a build
 *   step) survives.
 * The build cache is a weak reference: an entry does not keep its layers, but an entry naming a
 * swept blob is removed with it, so a build never finds an entry whose layers are gone.
 *
 * Sweep: unmarked blobs (sha256 and sha512) and snapshots past the grace period.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { chainIds, digestHex, STORED_DIGEST_RE } from "../digest.js";
import type { PrismaClient } from "../db.js";
import type { ContentStore } from "./store.js";

/** Blobs and snapshots written less than this long ago are never swept (see "in progress" above). */
export const GC_GRACE_MS = 60_000;

/** A manifest is small; a blob bigger than this is a layer, never read while marking. */
const MANIFEST_MAX_BYTES = 4 << 20;

export interface GcLog {
  info(obj: object, msg: string): void;
}

export interface GcOptions {
  db: PrismaClient;
  store: ContentStore;
  /** $BERTH_HOME/snapshots: swept too when given (the worker's store; web leaves snapshots alone). */
  snapshotsDir?: string;
  /** $BERTH_HOME/builds/cache: entries naming a swept blob are removed. */
  buildCacheDir?: string;
  graceMs?: number;
  dryRun?: boolean;
  log?: GcLog;
}

export interface GcResult {
  blobsRemoved: number;
  snapshotsRemoved: number;
  bytesReclaimed: number;
  cacheEntriesRemoved: number;
}

export interface References {
  blobs: Set<string>;
  chains: Set<string>;
  /** Per local image id: its blobs (manifest, config, layers, gzip copies) and chain ids. */
  images: Map<string, { blobs: string[]; chains: string[] }>;
}

interface ManifestJson {
  config?: { digest?: unknown };
  layers?: { digest?: unknown }[];
  manifests?: { digest?: unknown }[];
  subject?: { digest?: unknown };
  rootfs?: { diff_ids?: unknown };
}

const isDigest = (d: unknown): d is string => typeof d === "string" && STORED_DIGEST_RE.test(d);

async function readJson(store: ContentStore, digest: string): Promise<ManifestJson | undefined> {
  try {
    if ((await store.size(digest)) > MANIFEST_MAX_BYTES) return undefined;
    const v = JSON.parse((await store.read(digest)).toString("utf8")) as unknown;
    return v && typeof v === "object" ? (v as ManifestJson) : undefined;
  } catch {
    return undefined; // gone, or not JSON (a layer): nothing below it
  }
}

/** Every digest a manifest or index names: config, layers, children, subject. */
export function namedBy(m: ManifestJson): { blobs: string[]; manifests: string[] } {
  const blobs = [m.config?.digest, m.subject?.digest, ...(Array.isArray(m.layers) ? m.layers.map((l) => l?.digest) : [])].filter(isDigest);
  const manifests = (Array.isArray(m.manifests) ? m.manifests.map((x) => x?.digest) : []).filter(isDigest);
  return { blobs, manifests };
}

/** The gzip copy remembered for a plain layer (content/compressed/<hex>), if any. */
async function compressedCopy(store: ContentStore, digest: string): Promise<string | undefined> {
  try {
    const m = JSON.parse(await fs.readFile(path.join(compressedDir(store), digestHex(digest)), "utf8")) as { digest?: unknown };
    return isDigest(m.digest) ? m.digest : undefined;
  } catch {
    return undefined;
  }
}

const compressedDir = (store: ContentStore) => path.resolve(store.blobs, "..", "..", "compressed");

/** Everything still referenced: by local images, by the registry's rows. */
export async function markReferences(db: PrismaClient, store: ContentStore): Promise<References> {
  const refs: References = { blobs: new Set(), chains: new Set(), images: new Map() };
  for (const row of await db.image.findMany({ select: { id: true, manifestDigest: true } })) {
    const own = { blobs: [row.manifestDigest, row.id], chains: [] as string[] };
    const manifest = await readJson(store, row.manifestDigest);
    if (manifest) {
      const named = namedBy(manifest).blobs;
      own.blobs.push(...named);
      for (const d of named) {
        const copy = await compressedCopy(store, d);
        if (copy) own.blobs.push(copy);
      }
      const config = isDigest(manifest.config?.digest) ? await readJson(store, manifest.config.digest) : undefined;
      const diffIds = config?.rootfs?.diff_ids;
      if (Array.isArray(diffIds) && diffIds.every(isDigest)) own.chains.push(...chainIds(diffIds));
    }
    own.blobs.forEach((b) => refs.blobs.add(b));
    own.chains.forEach((c) => refs.chains.add(c));
    refs.images.set(row.id, own);
  }
  for (const b of await db.repoBlob.findMany({ select: { digest: true }, distinct: ["digest"] })) refs.blobs.add(b.digest);
  // Registry manifests, and an index's children below them, whatever rows they have.
  const todo = (await db.repoManifest.findMany({ select: { digest: true }, distinct: ["digest"] })).map((m) => m.digest);
  const seen = new Set<string>();
  while (todo.length) {
    const d = todo.pop()!;
    if (seen.has(d)) continue;
    seen.add(d);
    refs.blobs.add(d);
    const m = await readJson(store, d);
    if (!m) continue;
    const named = namedBy(m);
    named.blobs.forEach((b) => refs.blobs.add(b));
    todo.push(...named.manifests);
  }
  return refs;
}

export interface BlobFile {
  digest: string;
  file: string;
  size: number;
  mtimeMs: number;
}

/** The store's blob files (sha256 and sha512). */
export async function listBlobs(store: ContentStore): Promise<BlobFile[]> {
  const out: BlobFile[] = [];
  for (const [algorithm, dir] of [["sha256", store.blobs], ["sha512", store.blobs512]] as const) {
    for (const hex of await fs.readdir(dir).catch(() => [] as string[])) {
      const digest = `${algorithm}:${hex}`;
      if (!STORED_DIGEST_RE.test(digest)) continue;
      const file = path.join(dir, hex);
      const st = await fs.stat(file).catch(() => undefined);
      if (st) out.push({ digest, file, size: st.size, mtimeMs: st.mtimeMs });
    }
  }
  return out;
}

/** Unpacked layers under `root` by chain id ("…tmp-" directories are unpacks or deletes in progress). */
export async function listSnapshots(root: string): Promise<{ chain: string; dir: string; mtimeMs: number }[]> {
  const out = [];
  for (const name of await fs.readdir(root).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const dir = path.join(root, name);
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

/** Build cache entries (JSON files) that name one of `gone`: they would send a build to missing layers. */
async function dropCacheEntries(dir: string, gone: Set<string>, dryRun: boolean): Promise<number> {
  let removed = 0;
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith(".json")) continue;
    const file = path.join(dir, name);
    const text = await fs.readFile(file, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const digests = text.match(/sha(?:256:[0-9a-f]{64}|512:[0-9a-f]{128})/g) ?? [];
    if (!digests.some((d) => gone.has(d))) continue;
    if (!dryRun) await fs.rm(file, { force: true });
    removed++;
  }
  return removed;
}

/**
 * Mark and sweep. Callers that write blobs and rows under a lock of their own (the worker's
 * store lock) hold it around this call; everyone else is covered by the grace period.
 */
export async function collectGarbage(o: GcOptions): Promise<GcResult> {
  const refs = await markReferences(o.db, o.store);
  const cutoff = Date.now() - (o.graceMs ?? GC_GRACE_MS);
  const dryRun = !!o.dryRun;
  const r: GcResult = { blobsRemoved: 0, snapshotsRemoved: 0, bytesReclaimed: 0, cacheEntriesRemoved: 0 };
  const swept = new Set<string>();
  for (const b of await listBlobs(o.store)) {
    if (refs.blobs.has(b.digest) || b.mtimeMs > cutoff) continue;
    if (!dryRun) await fs.rm(b.file, { force: true });
    swept.add(b.digest);
    r.blobsRemoved++;
    r.bytesReclaimed += b.size;
  }
  if (o.snapshotsDir) {
    for (const s of await listSnapshots(o.snapshotsDir)) {
      if (refs.chains.has(s.chain) || s.mtimeMs > cutoff) continue;
      const size = await du(s.dir);
      if (!dryRun) {
        // Renamed first, so a crash mid-delete leaves a ".tmp-" leftover (removed at start-up), never a half snapshot under its name.
        const doomed = `${s.dir}.tmp-gc`;
        await fs.rename(s.dir, doomed);
        await fs.rm(doomed, { recursive: true, force: true });
      }
      r.snapshotsRemoved++;
      r.bytesReclaimed += size;
    }
  }
  if (o.buildCacheDir && swept.size) r.cacheEntriesRemoved = await dropCacheEntries(o.buildCacheDir, swept, dryRun);
  if (r.blobsRemoved || r.snapshotsRemoved) o.log?.info({ ...r, dryRun }, "content store: garbage collected");
  return r;
}
