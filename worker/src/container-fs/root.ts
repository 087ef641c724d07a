import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { closeSync, constants } from "node:fs";
import { ContainerOptions, NotFound, type MountSpec } from "@berth/core";
import { openInRoot } from "@berth/native";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { loadImage, type Snapshots } from "../images/index.js";
import { lockContainerFs } from "./lock.js";

const run = promisify(execFile);

export interface ContainerFsDeps {
  db: PrismaClient;
  blobs: ContentStore;
  snapshots: Snapshots;
  containersDir: string;
  /** Where a named volume's data is (to mount volumes into a stopped container's root for cp). */
  volumes?: { dataDirOf(teamId: string, name: string): Promise<string | undefined> };
}

export interface ContainerRow {
  id: string;
  teamId: string;
  imageId: string;
  options: string;
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
 * A stopped container's volumes and binds are mounted into that view too (as docker cp does), so
 * a write to a volume's path lands in the volume.
 * Paths under the returned root must be opened with openInRoot, never joined.
 */
export async function withContainerRoot<T>(d: ContainerFsDeps, containerId: string, fn: (root: string, c: ContainerRow) => Promise<T>): Promise<T> {
  const find = async () => {
    const row = await d.db.container.findUnique({ where: { id: containerId }, select: { id: true, teamId: true, imageId: true, state: true, pid: true, options: true } });
    if (!row) throw new NotFound(`No such container: ${containerId}`);
    return row;
  };
  const procRoot = async (row: { state: string; pid: number | null }) => {
    const root = `/proc/${row.pid}/root`;
    return row.state === "running" && row.pid && (await fs.stat(root).then(() => true, () => false)) ? root : undefined;
  };
  const first = await find();
  const running = await procRoot(first);
  if (running) return fn(running, first);
  // Stopped: hold the container's filesystem (a start waits), then look again (it may have started).
  const release = await lockContainerFs(containerId);
  try {
    const row = await find();
    const root = await procRoot(row);
    return root ? await fn(root, row) : await withStoppedRoot(d, row, fn);
  } finally {
    release();
  }
}

async function withStoppedRoot<T>(d: ContainerFsDeps, row: ContainerRow, fn: (root: string, c: ContainerRow) => Promise<T>): Promise<T> {
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
    await mountVolumes(d, row, mnt);
    return await fn(mnt, row);
  } finally {
    await run("umount", ["-R", mnt]).catch(() => run("umount", ["-R", "-l", mnt]));
    await fs.rmdir(mnt).catch(() => undefined);
  }
}

/**
 * Binds the container's volumes and bind mounts over their targets inside `mnt`. Each target is
 * opened with openInRoot (resolved inside the container's root) and mounted on through this
 * process's /proc/<pid>/fd/N, so a symlinked target cannot place a mount on the host. A missing
 * target is made, as the runtime makes it at start.
 */
async function mountVolumes(d: ContainerFsDeps, row: ContainerRow, mnt: string): Promise<void> {
  const mounts = mountsOf(row.options).filter((m) => m.type !== "tmpfs");
  for (const m of mounts.sort((a, b) => a.target.split("/").length - b.target.split("/").length)) {
    const source = m.type === "bind" ? m.source : m.source && d.volumes ? await d.volumes.dataDirOf(row.teamId, m.source) : undefined;
    if (!source || !(await fs.stat(source).then((st) => st.isDirectory(), () => false))) continue;
    let fd: number;
    try {
      await mkdirInRoot(mnt, m.target);
      fd = openInRoot(mnt, m.target, (O_PATH | constants.O_DIRECTORY) >>> 0);
    } catch {
      continue; // not a directory in the container: the copy goes to its own layer
    }
    try {
      // -c: mount(8) must not canonicalise the fd path into a string resolved again on the host.
      await run("mount", ["-c", "--bind", source, `/proc/${process.pid}/fd/${fd}`]);
    } finally {
      closeSync(fd);
    }
    if (!m.readOnly) continue;
    const top = openInRoot(mnt, m.target, (O_PATH | constants.O_DIRECTORY) >>> 0); // the new mount, on top
    try {
      await run("mount", ["-c", "-o", "remount,bind,ro", `/proc/${process.pid}/fd/${top}`]);
    } finally {
      closeSync(top);
    }
  }
}

const O_PATH = 0o10000000;

function mountsOf(options: string): MountSpec[] {
  try {
    return ContainerOptions.parse(JSON.parse(options)).mounts;
  } catch {
    return [];
  }
}

/** mkdir -p of a container path, each level made one component below a directory opened in the root. */
async function mkdirInRoot(root: string, target: string): Promise<void> {
  let cur = "/";
  for (const part of target.split("/").filter(Boolean)) {
    const parent = openInRoot(root, cur, (O_PATH | constants.O_DIRECTORY) >>> 0);
    try {
      await fs.mkdir(`/proc/self/fd/${parent}/${part}`, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "EEXIST") throw e;
      });
    } finally {
      closeSync(parent);
    }
    cur = `${cur}${part}/`;
  }
}
