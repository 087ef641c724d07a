import { FailedPrecondition, InvalidArgument, JOB, parseImageRef, PermissionDenied, PROTECTED_RELEASES, shortId, type ImageGcResult } from "@berth/core";
import { Prisma } from "@berth/core/db";
import type { Services } from "../services.js";
import { imageHost, runHostJob } from "./jobs.js";
import { resolveImage, type ImageScope } from "@berth/core";
import { authorize, type Actor } from "../policy/index.js";

export const scopeOf = (a: Actor): ImageScope => ({ teamId: a.team.id, siteAdmin: a.siteAdmin });
import { imageEvent } from "../events/publish.js";
import { protectedImages } from "../releases/protect.js";

/** "name:tag" from user input; a digest is refused (tags point at images, digests are what they are). */
export function tagRef(input: string): string {
  const r = parseImageRef(input);
  if (r.digest) throw new InvalidArgument(`refusing to create a tag with a digest reference: "${input}"`);
  return `${r.name}:${r.tag}`;
}

/**
 * May `actor` point or remove tag `ref`? Its own team's, yes; a shared base's (busybox,
 * bootstrapped images), only the site admin; another team's: answered as missing.
 */
function tagPolicy(actor: Actor, action: "image.manage", tag: { teamId: string | null } | null, ref: string): void {
  if (tag) authorize(actor, action, { teamId: tag.teamId, notFound: `No such image: ${ref}` });
}

/**
 * Before a build, import or commit points `refs` at a new image: each must be free, the
 * team's own, or (the site admin only) a shared base. Another team's tag is refused without
 * saying whose it is.
 */
export async function assertTagsWritable(s: Services, actor: Actor, refs: string[]): Promise<void> {
  if (!refs.length) return;
  const rows = await s.db.imageTag.findMany({ where: { ref: { in: refs } }, select: { ref: true, teamId: true } });
  for (const t of rows) {
    if (t.teamId !== null && t.teamId !== actor.team.id) throw new PermissionDenied(`tag ${t.ref} is not available to team ${actor.team.name}: choose another name`);
    if (t.teamId === null) authorize(actor, "image.manage", { teamId: null });
  }
}

/** `tag SOURCE TARGET`: points TARGET at SOURCE's image (moving it if it pointed elsewhere). */
export async function tagImage(s: Services, actor: Actor, source: string, target: string): Promise<{ id: string; ref: string }> {
  const img = await resolveImage(s.db, scopeOf(actor), source);
  const ref = tagRef(target);
  const existing = await s.db.imageTag.findUnique({ where: { ref }, select: { teamId: true } });
  // A ref of another team's is not ours to move (nor to learn about): it reads as taken.
  if (existing && existing.teamId !== null && existing.teamId !== actor.team.id) throw new PermissionDenied(`tag ${ref} is not available to team ${actor.team.name}: choose another name`);
  tagPolicy(actor, "image.manage", existing, ref);
  await s.db.imageTag.upsert({ where: { ref }, create: { ref, imageId: img.id, teamId: actor.team.id }, update: { imageId: img.id } });
  s.log.info({ image: img.id, ref }, "image tagged");
  await imageEvent(s, "image.tag", img.id, ref, existing ? existing.teamId : actor.team.id);
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
export async function removeImage(s: Services, actor: Actor, input: string, force: boolean): Promise<RemoveResult> {
  const { db } = s;
  const img = await resolveImage(db, scopeOf(actor), input);
  const byTag = img.ref !== img.id && !img.ref.includes("@");
  const tagRows = await db.imageTag.findMany({ where: { imageId: img.id }, select: { ref: true, teamId: true }, orderBy: { ref: "asc" } });
  // Untagging one tag needs that tag; deleting the image needs every tag it has (other teams' too: the site admin's).
  for (const t of byTag ? tagRows.filter((t) => t.ref === img.ref) : tagRows) {
    if (t.teamId !== null && t.teamId !== actor.team.id && !actor.siteAdmin) throw new PermissionDenied(`image ${shortId(img.id)} is also tagged by another team: remove your tags instead`);
    // A shared base: the site admin's to change.
    if (t.teamId === null) authorize(actor, "image.manage", { teamId: null });
  }
  const tags = tagRows.map((t) => t.ref);
  const teamOfTag = (ref: string) => tagRows.find((t) => t.ref === ref)?.teamId ?? actor.team.id;
  const containers = await db.container.findMany({ where: { imageId: img.id }, select: { id: true, state: true }, take: 1, orderBy: { state: "desc" } });
  const out: RemoveResult = { untagged: [], deleted: [] };
  if (byTag && tags.length > 1) {
    await db.imageTag.deleteMany({ where: { ref: img.ref } });
    out.untagged.push(img.ref);
    await imageEvent(s, "image.untag", img.id, img.ref, teamOfTag(img.ref));
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
  // A recent release's image stays for a rollback (forced: untagged, but kept, as one a container uses).
  const held = (await protectedImages(db, [img.id])).get(img.id);
  if (held && !force) {
    throw new FailedPrecondition(`conflict: unable to delete ${shortId(img.id)} (must be forced) - release ${held.heldBy} holds it (the last ${PROTECTED_RELEASES} releases of each environment keep their images for rollback)`);
  }
  const untag = byTag ? [img.ref] : tags;
  if (untag.length) await db.imageTag.deleteMany({ where: { ref: { in: untag } } });
  out.untagged.push(...untag);
  if (!user && !held && (await deleteImageRow(s, img.id))) out.deleted.push(img.id);
  if (out.deleted.length) collectSoon(s);
  for (const ref of untag) await imageEvent(s, "image.untag", img.id, ref, teamOfTag(ref));
  if (out.deleted.length) await imageEvent(s, "image.delete", img.id, untag[0] ?? img.id, untag[0] ? teamOfTag(untag[0]) : actor.team.id);
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
  // The images of recent releases stay (a rollback deploys them), tags and all.
  const held = await protectedImages(db);
  for (const img of candidates) {
    if (held.has(img.id)) continue;
    const refs = img.tags.map((t) => t.ref);
    if (refs.length) await db.imageTag.deleteMany({ where: { ref: { in: refs }, imageId: img.id } });
    if (await deleteImageRow(s, img.id)) {
      deleted.push(...refs.map((untagged) => ({ untagged })), { deleted: img.id });
    }
  }
  const gc = await runHostJob<ImageGcResult>(s, JOB.imageGc, { dryRun: false }, { hostId: await imageHost(s), timeoutMs: 10 * 60_000 });
  return { deleted, spaceReclaimed: gc.bytesReclaimed };
}
