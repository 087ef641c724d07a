/**
 * The images a rollback may need: those of the last PROTECTED_RELEASES releases of every
 * environment, and of each live release however old. Image removal (rmi, image prune) keeps
 * them, and with their rows the content GC keeps their blobs and snapshots.
 */
import { PROTECTED_RELEASES, ReleaseImages } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";

export interface ProtectedImage {
  /** "<project> <environment> v<number>" of the newest release holding it. */
  heldBy: string;
}

export async function protectedImages(db: PrismaClient, imageIds?: string[]): Promise<Map<string, ProtectedImage>> {
  const out = new Map<string, ProtectedImage>();
  const envs = await db.environment.findMany({ select: { id: true, name: true, liveRelease: true, project: { select: { name: true } } } });
  for (const e of envs) {
    const rows = await db.release.findMany({
      where: { environmentId: e.id },
      orderBy: { number: "desc" },
      take: PROTECTED_RELEASES,
      select: { number: true, images: true },
    });
    if (e.liveRelease !== null && !rows.some((r) => r.number === e.liveRelease)) {
      const live = await db.release.findUnique({ where: { environmentId_number: { environmentId: e.id, number: e.liveRelease } }, select: { number: true, images: true } });
      if (live) rows.push(live);
    }
    for (const r of rows) {
      const parsed = ReleaseImages.safeParse(JSON.parse(r.images));
      if (!parsed.success) continue;
      for (const id of Object.values(parsed.data)) {
        if (imageIds && !imageIds.includes(id)) continue;
        if (!out.has(id)) out.set(id, { heldBy: `${e.project.name} ${e.name} v${r.number}` });
      }
    }
  }
  return out;
}
