import type fs from "node:fs";
import path from "node:path";
import { FailedPrecondition, InvalidArgument } from "@berth/core";
import { getXattr, listXattrs, setXattr } from "@berth/native";
import { copyFileInRoot, linkInRoot, lstatInRoot } from "../in-root/index.js";
import { OPAQUE_XATTR } from "./fsops.js";
import { cleanLinkTarget, ensureParents, removeExisting } from "./layer-paths.js";

/**
 * A layer's hard link `rel` → `linkpath`, made by the kernel inside the layer's root: both
 * paths are resolved there and may cross no symlink, so a layer holding `evil -> /host/dir`
 * and `leak => evil/secret` is refused rather than linking the host's file into the image.
 *
 * The target is looked for as the merged view of the image would see it: in this layer, then
 * in each lower snapshot (topmost first), honouring whiteouts and opaque directories. One found
 * below is copied up into this layer first (overlayfs' copy-up), so the link and its target
 * share an inode inside this layer and nothing outside the snapshot chain is ever linked.
 */
export async function hardLink(root: string, rel: string, linkpath: string, lowers: string[]): Promise<void> {
  const target = cleanLinkTarget(rel, linkpath);
  const refuse = (why: string) => new InvalidArgument(`layer entry "${rel}" is a hard link to "${linkpath}", ${why}`);
  if (target === rel) throw refuse("itself");
  const found = locate([root, ...lowers], target, refuse);
  if (!found) throw refuse("which is neither earlier in this layer nor in a layer below it");
  if (found.st.isDirectory()) throw refuse("a directory: hard links to directories are not allowed");
  await ensureParents(root, rel);
  if (found.root !== root) {
    if (!found.st.isFile()) throw refuse(`a ${kindOf(found.st)} of a lower layer: only regular files can be linked across layers`);
    await ensureParents(root, target);
    await guard(() => copyFileInRoot({ root: found.root, rel: target }, { root, rel: target }), refuse);
    copyXattrs(path.join(found.root, target), path.join(root, target));
  }
  await removeExisting(path.join(root, rel), false);
  await guard(async () => linkInRoot(root, target, rel), refuse);
}

/** The first tree (this layer, then the lowers) where `rel` is visible, with its stat. */
function locate(roots: string[], rel: string, refuse: (why: string) => Error): { root: string; st: fs.Stats } | undefined {
  const parts = rel.split("/");
  for (const root of roots) {
    let hidesBelow = false;
    let absent = false;
    for (let i = 1; i < parts.length && !absent; i++) {
      const dir = parts.slice(0, i).join("/");
      const st = stat(root, dir, refuse);
      if (!st) absent = true;
      else if (st.isSymbolicLink()) throw refuse(`whose path crosses the symlink "${dir}": a hard link's path may not cross a symlink`);
      else if (!st.isDirectory()) return undefined; // a file (or whiteout) here hides everything below
      else if (isOpaque(path.join(root, dir))) hidesBelow = true;
    }
    if (!absent) {
      const st = stat(root, rel, refuse);
      if (st && isWhiteout(st)) return undefined;
      if (st) return { root, st };
    }
    if (hidesBelow) return undefined;
  }
  return undefined;
}

function stat(root: string, rel: string, refuse: (why: string) => Error): fs.Stats | undefined {
  try {
    return lstatInRoot(root, rel);
  } catch (e) {
    throw translate(e, refuse);
  }
}

async function guard<T>(op: () => Promise<T>, refuse: (why: string) => Error): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw translate(e, refuse);
  }
}

/** The kernel's refusals in the words of the layer's entry. */
function translate(e: unknown, refuse: (why: string) => Error): unknown {
  const err = e as { code?: string; syscall?: string; path?: string; message?: string };
  switch (err.code) {
    case "ELOOP":
      return refuse("whose path crosses a symlink: a hard link's path may not cross a symlink");
    case "EXDEV":
      return refuse("whose path crosses a mount point");
    case "ENOENT":
    case "ENOTDIR":
      return refuse("which is neither earlier in this layer nor in a layer below it");
    case "EISDIR":
      return refuse("a directory: hard links to directories are not allowed");
    case "EEXIST":
      return new FailedPrecondition(`layer entry "${pathOf(err)}" already exists where a hard link's copied-up target goes`);
    default:
      return e;
  }
}

const pathOf = (err: { path?: string }) => err.path ?? "?";

/**
 * A copied-up file keeps its attributes (file capabilities, user.*), as overlayfs' copy-up
 * does. Both paths were just resolved without crossing a symlink, in trees only we write.
 */
function copyXattrs(from: string, to: string): void {
  for (const name of listXattrs(from)) {
    if (name.startsWith("trusted.overlay.")) continue; // overlayfs' own marks belong to the lower layer
    setXattr(to, name, getXattr(from, name));
  }
}

const isWhiteout = (st: fs.Stats) => st.isCharacterDevice() && st.rdev === 0;

function isOpaque(dir: string): boolean {
  try {
    return getXattr(dir, OPAQUE_XATTR).toString() === "y";
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENODATA" || code === "ENOTSUP" || code === "EOPNOTSUPP") return false;
    throw e;
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  if (st.isFIFO()) return "FIFO";
  if (st.isSocket()) return "socket";
  return "special file";
}
