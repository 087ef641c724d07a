import fs from "node:fs/promises";
import path from "node:path";
import { InvalidArgument } from "@berth/core";

/** Paths of a layer being unpacked: cleaning an entry's name, making and clearing its place. */

/** "./a/b/" → "a/b"; refuses what would leave the layer's root. */
export function cleanEntryPath(raw: string): string {
  if (raw.startsWith("/")) throw new InvalidArgument(`layer entry "${raw}" has an absolute path`);
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new InvalidArgument(`layer entry "${raw}" contains ".."`);
  return parts.join("/");
}

/** Refuses a target whose parent directories are not real directories inside root (a symlink there would redirect the write). */
export async function ensureParents(root: string, rel: string): Promise<string> {
  const parts = rel.split("/");
  let cur = root;
  for (const p of parts.slice(0, -1)) {
    cur = path.join(cur, p);
    const st = await fs.lstat(cur).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw e;
    });
    if (!st) await fs.mkdir(cur, { mode: 0o755 });
    else if (st.isSymbolicLink()) throw new InvalidArgument(`layer entry "${rel}" would be written through the symlink "${path.relative(root, cur)}"`);
    else if (!st.isDirectory()) throw new InvalidArgument(`layer entry "${rel}" needs "${path.relative(root, cur)}" to be a directory`);
  }
  return path.join(root, rel);
}

/** Makes sure rel is a real directory (not a symlink) inside root. */
export async function ensureDirectory(root: string, rel: string): Promise<void> {
  const target = await ensureParents(root, rel);
  const st = await fs.lstat(target).catch(() => undefined);
  if (!st) await fs.mkdir(target, { mode: 0o755 });
  else if (!st.isDirectory()) throw new InvalidArgument(`layer entry "${rel}/.wh..wh..opq" marks "${rel}" opaque, but it is not a directory`);
}

export async function removeExisting(target: string, keepDir: boolean): Promise<void> {
  const st = await fs.lstat(target).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory() && !st.isSymbolicLink()) {
    if (!keepDir) await fs.rm(target, { recursive: true });
  } else {
    await fs.unlink(target);
  }
}

/** A hard link's target, cleaned like an entry's path; the refusal names the link's entry. */
export function cleanLinkTarget(entry: string, linkpath: string): string {
  let target: string;
  try {
    target = cleanEntryPath(linkpath);
  } catch {
    const why = linkpath.startsWith("/") ? "an absolute path" : 'a path with ".."';
    throw new InvalidArgument(`layer entry "${entry}" is a hard link to "${linkpath}", ${why}: a hard link's target must be a path inside the image`);
  }
  if (target === "") throw new InvalidArgument(`layer entry "${entry}" is a hard link to "${linkpath}", the image's root`);
  return target;
}
