import fs from "node:fs/promises";
import { FailedPrecondition, type ImageConfig } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { packUpperDir } from "./diff.js";
import { applyChanges } from "./import.js";
import { storeLock } from "./lock.js";
import { loadImage, writeImage } from "./store.js";

export interface CommitOptions {
  /** "name:tag" to point at the new image; none leaves it untagged. */
  ref?: string | undefined;
  message?: string | undefined;
  author?: string | undefined;
  /** Dockerfile-style changes (CMD, ENV, …) applied over the image's config. */
  changes?: string[];
  /** The team the new tag belongs to. */
  teamId?: string | undefined;
}

/**
 * `commit`: a container's upper dir becomes one more layer on top of its image. The new config
 * is the image's, with `changes` applied, the layer's diff_id appended and a history entry
 * carrying the message. Holding the store lock shared keeps GC from sweeping the new blobs
 * before the image row refers to them.
 */
export async function commitContainer(
  d: { db: PrismaClient; blobs: ContentStore },
  c: { imageId: string; upperDir: string; label: string },
  o: CommitOptions = {},
): Promise<{ id: string; manifestDigest: string }> {
  const st = await fs.stat(c.upperDir).catch(() => undefined);
  if (!st?.isDirectory()) throw new FailedPrecondition(`container ${c.label} has no filesystem on this host to commit`);
  return storeLock.shared(async () => {
    const base = await loadImage(d.db, d.blobs, c.imageId);
    const runConfig = applyChanges(base.config.config ?? {}, o.changes ?? [], "commit");
    const layer = await packUpperDir(c.upperDir, d.blobs);
    const created = new Date().toISOString();
    const config: ImageConfig & { author?: string } = {
      ...base.config,
      created,
      ...(o.author ? { author: o.author } : {}),
      ...(Object.keys(runConfig).length ? { config: runConfig } : {}),
      rootfs: { type: "layers", diff_ids: [...base.config.rootfs.diff_ids, layer.diffId] },
      history: [
        ...(base.config.history ?? []),
        { created, created_by: `berth commit ${c.label}`, ...(o.message ? { comment: o.message } : {}) },
      ],
    };
    return writeImage(d.db, d.blobs, {
      config: Buffer.from(JSON.stringify(config)),
      layers: [...base.manifest.layers, layer.descriptor],
      tags: o.ref ? [o.ref] : [],
      teamId: o.teamId,
    });
  });
}
