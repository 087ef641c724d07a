import { FailedPrecondition, InvalidArgument, JOB, parseImageRef, shortId, type ImageGcResult } from "@berth/core";
import { Prisma } from "@berth/core/db";
import type { Services } from "../services.js";
import { imageHost, runHostJob } from "./jobs.js";
import { resolveImage } from "./resolve.js";
import { imageEvent } from "../events/publish.js";

/** "name:tag" from user input; a digest is refused (tags point at images, digests are what they are). */
export function tagRef(input: string): string {
  const r = parseImageRef(input);
  if (r.digest) throw new InvalidArgument(`refusing to create a tag with a digest reference: "${input}"`);
  return `${r.name}:${r.tag}`;
}

/** `tag SOURCE TARGET`: points TARGET at SOURCE's image (moving it if it pointed elsewhere). */
export async function tagImage(s: Services, source: string, target: string): Promise<{ id: string; ref: string }> {
  const img = await resolveImage(s.db, source);
  const ref = tagRef(target);
  await s.db.imageTag.upsert({ where: { ref }, create: { ref, imageId: img.id }, update: { imageId: img.id } });
  s.log.info({ image: img.id, ref }, "image tagged");
  await imageEvent(s, "image.tag", img.id, ref);
  return { id: img.id, ref };
}

export interface RemoveResult {
  untagged: string[];
  deleted: string[];
}

const inUseBy = (c: { id: string; state: string }) => `${c.state === "running" ? "running" : "stopped"} container ${shortId(c.id)}`;

/**
 * `rmi`, with Docker's rules: removing one of several tags only untags; removing the last tag
 * (or the image by id) deletes the image, refused while a container uses it unless forced —
 * and even forced, an image a container still uses stays (untagged) until that container goes.
 */
export async function removeImage(s: Services, input: string, force: boolean): Promise<RemoveResult> {
  const { db } = s;
  const img = await resolveImage(db, input);
  const byTag = img.ref !== img.id && !img.ref.includes("@");
  const tags = (await db.imageTag.findMany({ where: { imageId: img.id }, select: { ref: true }, orderBy: { ref: "asc" } })).map((t) => t.ref);
  const containers = await db.container.findMany({ where: { imageId: img.id }, select: { id: true, state: true }, take: 1, orderBy: { state: "desc" } });
  const out: RemoveResult = { untagged: [], deleted: [] };
  if (byTag && tags.length > 1) {
    await db.imageTag.deleteMany({ where: { ref: img.ref } });
    out.untagged.push(img.ref);
    await imageEvent(s, "image.untag", img.id, img.ref);
    return out;
  }
  if (!byTag && tags.length > 1 && !force) {
    throw new FailedPrecondition(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`);
  }
  const user = containers[0];
  if (user && !force) {
    throw new FailedPrecondition(
      byTag
        ? `conflict: unable to remove repository reference "${input}" (must force) - ${inUseBy(user)} is using its referenced image ${shortId(img.id)}`
        : `conflict: unable to delete ${shortId(img.id)} (must be forced) - image is being used by ${inUseBy(user)}`,
    );
  }
  const untag = byTag ? [img.ref] : tags;
  if (untag.length) await db.imageTag.deleteMany({ where: { ref: { in: untag } } });
  out.untagged.push(...untag);
  if (!user && (await deleteImageRow(s, img.id))) out.deleted.push(img.id);
  if (out.deleted.length) collectSoon(s);
  for (const ref of untag) await imageEvent(s, "image.untag", img.id, ref);
  if (out.deleted.length) await imageEvent(s, "image.delete", img.id, untag[0] ?? img.id);
  return out;
}

/** Deletes an Image row unless a container took it meanwhile (the foreign key refuses then). */
async function deleteImageRow(s: Services, id: string): Promise<boolean> {
  try {
    await s.db.image.delete({ where: { id } });
    s.log.info({ image: id }, "image deleted");
    return true;
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && (err.code === "P2003" || err.code === "P2025")) return false;
    throw err;
  }
}

/** Frees the deleted images' blobs and snapshots in the background (GC skips what is still referenced). */
function collectSoon(s: Services): void {
  void (async () => {
    await runHostJob<ImageGcResult>(s, JOB.imageGc, { dryRun: false }, { hostId: await imageHost(s), timeoutMs: 10 * 60_000 });
  })().catch((err: Error) => s.log.warn({ err: err.message }, "background image garbage collection failed"));
}

export interface PruneResult {
  deleted: { untagged?: string; deleted?: string }[];
  spaceReclaimed: number;
}

/**
 * `image prune`: deletes dangling images (no tag), or with `all` every image no container
 * uses, then sweeps the blobs and snapshots nothing refers to any more.
 */
export async function pruneImages(s: Services, all: boolean): Promise<PruneResult> {
  const { db } = s;
  const candidates = await db.image.findMany({
    where: { containers: { none: {} }, ...(all ? {} : { tags: { none: {} } }) },
    include: { tags: { select: { ref: true } } },
    orderBy: { createdAt: "asc" },
  });
  const deleted: PruneResult["deleted"] = [];
  for (const img of candidates) {
    const refs = img.tags.map((t) => t.ref);
    if (refs.length) await db.imageTag.deleteMany({ where: { ref: { in: refs }, imageId: img.id } });
    if (await deleteImageRow(s, img.id)) {
      deleted.push(...refs.map((untagged) => ({ untagged })), { deleted: img.id });
    }
  }
  const gc = await runHostJob<ImageGcResult>(s, JOB.imageGc, { dryRun: false }, { hostId: await imageHost(s), timeoutMs: 10 * 60_000 });
  return { deleted, spaceReclaimed: gc.bytesReclaimed };
}
