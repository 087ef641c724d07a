import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { NotFound } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { loadImage, type Snapshots } from "../images/index.js";

const run = promisify(execFile);

export interface ContainerFsDeps {
  db: PrismaClient;
  blobs: ContentStore;
  snapshots: Snapshots;
  containersDir: string;
}

export interface ContainerRow {
  id: string;
  imageId: string;
}

/** The image's snapshots of a container, topmost first. */
export async function lowerdirsOf(d: ContainerFsDeps, imageId: string): Promise<string[]> {
  const image = await loadImage(d.db, d.blobs, imageId);
  return d.snapshots.prepare(image.manifest.layers, image.config.rootfs.diff_ids, d.blobs);
}

/**
 * Runs `fn` with a host path that shows the container's whole filesystem. Running: its init's
 * `/proc/<pid>/root`, the container's own view, volumes and binds included. Stopped: its overlay
 * (upper over the image's snapshots) mounted for the call at a private directory of the
 * container and unmounted after, so writes land in its upper dir and reads see the merged view.
 * Volumes of a stopped container are not mounted: a write there goes to its own layer.
 * Paths under the returned root must be opened with openInRoot, never joined.
 */
export async function withContainerRoot<T>(d: ContainerFsDeps, containerId: string, fn: (root: string, c: ContainerRow) => Promise<T>): Promise<T> {
  const row = await d.db.container.findUnique({ where: { id: containerId }, select: { id: true, imageId: true, state: true, pid: true } });
  if (!row) throw new NotFound(`No such container: ${containerId}`);
  if (row.state === "running" && row.pid) {
    const root = `/proc/${row.pid}/root`;
    if (await fs.stat(root).then(() => true, () => false)) return fn(root, row);
  }
  const dir = path.join(d.containersDir, row.id);
  const upper = path.join(dir, "upper");
  const work = path.join(dir, "work");
  await Promise.all([upper, work].map((p) => fs.mkdir(p, { recursive: true })));
  const lowerdirs = await lowerdirsOf(d, row.imageId);
  const mnt = path.join(dir, `fs-${randomUUID()}`);
  await fs.mkdir(mnt, { mode: 0o700 });
  try {
    await run("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${lowerdirs.join(":")},upperdir=${upper},workdir=${work}`, mnt]);
  } catch (e) {
    await fs.rmdir(mnt).catch(() => undefined);
    throw new Error(`mounting the filesystem of container ${row.id.slice(0, 12)} failed: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
  }
  try {
    return await fn(mnt, row);
  } finally {
    await run("umount", [mnt]).catch(() => run("umount", ["-l", mnt]));
    await fs.rmdir(mnt).catch(() => undefined);
  }
}
