import fs from "node:fs";
import { promisify } from "node:util";
import { linkInRoot, openInRoot } from "@berth/native";

/**
 * Filesystem operations on a tree that may hold hostile symlinks (an image layer being
 * unpacked, a build context), addressed as (root, path inside it). The kernel resolves every
 * path inside `root` and refuses one that crosses a symlink (ELOOP) or a mount point (EXDEV)
 * (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS through the native addon), so no path of the
 * tree, however crafted, reaches a host file. Failures are the addon's NativeError
 * (`code`, `syscall`, `path`); callers word them for their users.
 */

export { linkInRoot };

const { O_PATH = 0o10000000, O_NOFOLLOW, O_RDONLY, O_WRONLY, O_CREAT, O_EXCL } = fs.constants as typeof fs.constants & { O_PATH?: number };
const strict = { noSymlinks: true } as const;
const read = promisify(fs.read);
const write = promisify(fs.write);

/** The entry at `rel` itself (a trailing symlink is not followed), or undefined when it does not exist. */
export function lstatInRoot(root: string, rel: string): fs.Stats | undefined {
  let fd: number;
  try {
    fd = openInRoot(root, rel, (O_PATH | O_NOFOLLOW) >>> 0, 0, strict);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    return fs.fstatSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Copies the regular file `src.rel` of tree `src.root` to `dest.rel` of tree `dest.root`, which
 * must not exist yet (its parent must). Mode, owner and times come along; the copy is written
 * through the descriptor that was resolved, so nothing can redirect it. Throws NativeError
 * ELOOP for a symlink on either path, and a plain error with code EINVAL for a non-regular file.
 */
export async function copyFileInRoot(src: { root: string; rel: string }, dest: { root: string; rel: string }): Promise<fs.Stats> {
  const from = openInRoot(src.root, src.rel, (O_RDONLY | O_NOFOLLOW) >>> 0, 0, strict);
  try {
    const st = fs.fstatSync(from);
    if (!st.isFile()) throw Object.assign(new Error(`${src.rel} is not a regular file`), { code: "EINVAL", path: src.rel });
    const to = openInRoot(dest.root, dest.rel, (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW) >>> 0, st.mode & 0o7777, strict);
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let pos = 0; ; ) {
        const { bytesRead: n } = await read(from, buf, 0, buf.length, pos);
        if (n === 0) break;
        for (let off = 0; off < n; ) off += (await write(to, buf, off, n - off, pos + off)).bytesWritten;
        pos += n;
      }
      fs.fchownSync(to, st.uid, st.gid);
      fs.fchmodSync(to, st.mode & 0o7777); // after chown, which clears setuid/setgid
      fs.futimesSync(to, st.atime, st.mtime);
    } finally {
      fs.closeSync(to);
    }
    return st;
  } finally {
    fs.closeSync(from);
  }
}
