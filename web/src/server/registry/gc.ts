/**
 * Mark and sweep over the content store, after registry deletes. Marked: every blob a
 * repository holds, every manifest a repository holds and everything those manifests name,
 * and everything the host's local images use (Image rows: manifest, config, layers). Swept:
 * any other blob whose file is older than the grace period, so a blob written moments ago
 * by an upload, a `load` or a build, whose DB row is not there yet, is never taken.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Logger } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { DIGEST_RE } from "./names.js";

export const GC_GRACE_MS = 3600 * 1000;

/** Every digest a manifest or index names (config, layers, children, subject). */
export function referencedBy(manifest: Buffer): string[] {
  let m: { config?: { digest?: unknown }; layers?: { digest?: unknown }[]; manifests?: { digest?: unknown }[]; subject?: { digest?: unknown } };
  try {
    m = JSON.parse(manifest.toString("utf8")) as typeof m;
  } catch {
    return [];
  }
  const out: unknown[] = [m.config?.digest, m.subject?.digest, ...(Array.isArray(m.layers) ? m.layers.map((l) => l?.digest) : []), ...(Array.isArray(m.manifests) ? m.manifests.map((x) => x?.digest) : [])];
  return out.filter((d): d is string => typeof d === "string" && DIGEST_RE.test(d));
}

export async function markLive(db: PrismaClient, store: ContentStore): Promise<Set<string>> {
  const live = new Set<string>();
  const manifests = new Set<string>();
  for (const b of await db.repoBlob.findMany({ select: { digest: true } })) live.add(b.digest);
  for (const m of await db.repoManifest.findMany({ select: { digest: true } })) manifests.add(m.digest);
  for (const i of await db.image.findMany({ select: { id: true, manifestDigest: true } })) {
    live.add(i.id);
    manifests.add(i.manifestDigest);
  }
  for (const d of manifests) {
    live.add(d);
    const body = await store.read(d).catch(() => undefined);
    if (body) for (const r of referencedBy(body)) live.add(r);
  }
  return live;
}

export async function collectGarbage(db: PrismaClient, store: ContentStore, log: Logger, graceMs = GC_GRACE_MS): Promise<{ removed: number; bytes: number }> {
  const live = await markLive(db, store);
  const cutoff = Date.now() - graceMs;
  let removed = 0;
  let bytes = 0;
  for (const [algorithm, dir] of [["sha256", store.blobs], ["sha512", store.blobs512]] as const) {
    for (const hex of await fs.readdir(dir).catch(() => [] as string[])) {
      const digest = `${algorithm}:${hex}`;
      if (!DIGEST_RE.test(digest) || live.has(digest)) continue;
      const file = path.join(dir, hex);
      const st = await fs.stat(file).catch(() => undefined);
      if (!st || st.mtimeMs > cutoff) continue;
      await fs.rm(file, { force: true });
      removed++;
      bytes += st.size;
    }
  }
  if (removed) log.info({ removed, bytes }, "registry: garbage collected unreferenced blobs");
  return { removed, bytes };
}
