import { InvalidArgument, NotFound, isInvalidArgument } from "./errors.js";
import { parseImageRef } from "./image-ref.js";
import type { PrismaClient } from "./db.js";

const ID_PREFIX = /^(?:sha256:)?([0-9a-f]{4,64})$/;

export interface ResolvedImage {
  id: string;
  /** What the container records as its image: the tag ref, or the id when run by id. */
  ref: string;
}

/**
 * Which images a team sees: its own tags and the shared bases (teamId null); an image by id or
 * digest when one of those tags names it or one of its containers runs it. The site admin sees
 * every image by id.
 */
export interface ImageScope {
  teamId: string;
  siteAdmin: boolean;
}

export const visibleTagWhere = (scope: ImageScope) => ({ OR: [{ teamId: scope.teamId }, { teamId: null }] });

const visibleImageWhere = (scope: ImageScope) =>
  scope.siteAdmin ? {} : { OR: [{ tags: { some: visibleTagWhere(scope) } }, { containers: { some: { teamId: scope.teamId } } }] };

/** Like Docker: a reference ("busybox", "busybox:1.36", "name@sha256:…") first, then an image id or id prefix; only among those `scope` sees. */
export async function resolveImage(db: PrismaClient, scope: ImageScope, input: string): Promise<ResolvedImage> {
  const text = input.trim();
  let refError: unknown;
  let display = text;
  try {
    const r = parseImageRef(text);
    const ref = `${r.name}:${r.tag}`;
    display = r.digest ? `${r.name}@${r.digest}` : ref;
    if (r.digest) {
      const img = await db.image.findFirst({ where: { AND: [{ OR: [{ manifestDigest: r.digest }, { id: r.digest }] }, visibleImageWhere(scope)] }, select: { id: true } });
      if (img) return { id: img.id, ref: display };
    } else {
      const tag = await db.imageTag.findFirst({ where: { ref, ...visibleTagWhere(scope) }, select: { imageId: true } });
      if (tag) return { id: tag.imageId, ref };
    }
  } catch (err) {
    if (!isInvalidArgument(err)) throw err;
    refError = err;
  }
  const m = ID_PREFIX.exec(text);
  if (m) {
    const prefix = `sha256:${m[1]}`;
    const found = await db.image.findMany({ where: { id: { startsWith: prefix }, ...visibleImageWhere(scope) }, select: { id: true }, take: 2 });
    if (found.length > 1) throw new InvalidArgument(`multiple images found with id prefix "${text}": use more characters`);
    if (found[0]) return { id: found[0].id, ref: found[0].id };
    display = text;
  }
  if (refError && !m) throw refError;
  throw new NotFound(`No such image: ${display}`);
}
