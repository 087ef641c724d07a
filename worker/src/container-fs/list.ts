import { closeSync, constants as C } from "node:fs";
import fs from "node:fs/promises";
import { MAX_DIR_ENTRIES, NotFound, type ContainerDirEntry, type ContainerListResult } from "@berth/core";
import { openInRoot } from "@berth/native";
import { cleanContainerPath, inFd } from "./paths.js";

function typeOf(st: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }): ContainerDirEntry["type"] {
  return st.isDirectory() ? "dir" : st.isFile() ? "file" : st.isSymbolicLink() ? "link" : "other";
}

/**
 * One directory of the container's filesystem for the dashboard's file browser. The directory
 * is opened inside `root` (symlinks resolved as the container sees them, never leaving it), and
 * each entry is lstat'ed below that fd: a link is listed as itself, with its target.
 */
export async function listDir(root: string, dir: string, containerId: string): Promise<ContainerListResult> {
  const clean = cleanContainerPath(dir);
  let fd: number;
  try {
    fd = openInRoot(root, clean, (C.O_RDONLY | C.O_DIRECTORY) >>> 0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new NotFound(`Could not find the directory ${clean} in container ${containerId.slice(0, 12)}`);
    throw e;
  }
  try {
    const names = (await fs.readdir(`/proc/self/fd/${fd}`)).sort();
    const shown = names.slice(0, MAX_DIR_ENTRIES);
    const entries = await Promise.all(
      shown.map(async (name): Promise<ContainerDirEntry | undefined> => {
        const p = inFd(fd, name);
        const st = await fs.lstat(p).catch(() => undefined);
        if (!st) return undefined; // removed while listed
        const type = typeOf(st);
        const linkTarget = type === "link" ? await fs.readlink(p).catch(() => "") : undefined;
        return { name, type, size: st.size, mode: st.mode & 0o7777, mtime: st.mtime.toISOString(), ...(linkTarget !== undefined ? { linkTarget } : {}) };
      }),
    );
    return { path: clean, entries: entries.filter((e): e is ContainerDirEntry => !!e), truncated: names.length > shown.length };
  } finally {
    closeSync(fd);
  }
}
