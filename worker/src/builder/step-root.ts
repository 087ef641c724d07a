import { closeSync, constants, lstatSync, mkdirSync, readlinkSync, realpathSync, unlinkSync } from "node:fs";
import path from "node:path";
import { FailedPrecondition } from "@berth/core";
import { openInRoot } from "@berth/native";

const O_PATH = 0o10000000;
const MAX_HOPS = 40;

/**
 * The directory a COPY/ADD step assembles its layer in. Sources may put symlinks there (a
 * context's `x -> /etc`) and a later source may write beneath them: every directory is
 * therefore reached inside this root, a symlink followed as it would be in the image (an
 * absolute target starts at the root, `..` stops there, by the kernel's RESOLVE_IN_ROOT),
 * never out to the host. Answers are host paths whose every component is a real directory
 * inside the root; only this step writes there, so they stay so while it runs.
 */
export class StepRoot {
  readonly root: string;

  /** `root` exists; its own path may hold symlinks (BERTH_HOME may be one): the real path is the bound. */
  constructor(root: string) {
    this.root = realpathSync(root);
  }

  /** mkdir -p of the image path `rel` (absolute or not) inside the root; the real directory's host path. */
  mkdirp(rel: string, mode = 0o755): string {
    return this.mkdirpFrom(rel, mode, 0);
  }

  /** The directory `name` in the real directory `dir` (made when absent, a symlink followed inside the root). */
  enter(dir: string, name: string, mode = 0o755, hops = 0): string {
    const p = path.join(dir, name);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) {
      mkdirSync(p, { mode });
      return p;
    }
    if (st.isDirectory()) return p;
    if (!st.isSymbolicLink()) throw new FailedPrecondition(`${this.imagePath(p)} is not a directory: cannot copy into it`);
    if (hops >= MAX_HOPS) throw new FailedPrecondition(`${this.imagePath(p)}: too many levels of symbolic links`);
    let fd: number;
    try {
      fd = openInRoot(this.root, path.relative(this.root, p), (O_PATH | constants.O_DIRECTORY) >>> 0);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ELOOP") throw new FailedPrecondition(`${this.imagePath(p)}: too many levels of symbolic links`);
      if (code === "ENOTDIR") throw new FailedPrecondition(`${this.imagePath(p)} is a symbolic link to something other than a directory: cannot copy into it`);
      if (code !== "ENOENT") throw e;
      // The link's target is not in this layer yet: make it there (an image path, resolved inside the root).
      const target = readlinkSync(p);
      return this.mkdirpFrom(target.startsWith("/") ? target : path.posix.join(this.imagePath(dir), target), mode, hops + 1);
    }
    try {
      const real = readlinkSync(`/proc/self/fd/${fd}`);
      if (real !== this.root && !real.startsWith(`${this.root}/`)) throw new FailedPrecondition(`${this.imagePath(p)} resolved outside the step's root (${real})`);
      return real;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Clears the way for a new non-directory entry `name` in the real directory `dir`: an earlier
   * file or symlink there goes (the later source wins, as in Docker); a directory is an error.
   */
  place(dir: string, name: string): string {
    const p = path.join(dir, name);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory()) throw new FailedPrecondition(`cannot overwrite the directory ${this.imagePath(p)} with a file`);
    if (st) unlinkSync(p);
    return p;
  }

  private mkdirpFrom(rel: string, mode: number, hops: number): string {
    let cur = this.root;
    for (const name of path.posix.normalize(`/${rel}`).split("/")) {
      if (!name || name === ".") continue;
      cur = name === ".." ? (cur === this.root ? cur : path.dirname(cur)) : this.enter(cur, name, mode, hops);
    }
    return cur;
  }

  /** A host path under the root as the image sees it (for messages). */
  private imagePath(p: string): string {
    return `/${path.relative(this.root, p)}`;
  }
}
