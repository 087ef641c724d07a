import type { Stats } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { opaqueDirs } from "../images/fsops.js";

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

/**
 * A read-only view of overlay layers (topmost first) without mounting them: a name is what
 * the topmost layer having it says, unless a whiteout or opaque directory above hides it.
 * COPY reads the build context (one layer) and other stages (their snapshots) through it.
 */
export class MergedView {
  private constructor(
    private readonly layers: string[],
    private readonly opaque: Set<string>[],
  ) {}

  static async open(layers: string[], readOpaque = true): Promise<MergedView> {
    return new MergedView(layers, readOpaque ? await Promise.all(layers.map((l) => opaqueDirs(l))) : layers.map(() => new Set<string>()));
  }

  /**
   * The host path holding `rel` ("" is the root), or undefined when absent. Symlinks in the
   * leading components are followed inside the view (an absolute target starts at the view's
   * root, `..` stops there), never on the host: a context's `evil -> /etc` cannot read /etc.
   */
  async lookup(rel: string): Promise<{ abs: string; st: Stats } | undefined> {
    const parts = await this.resolve(rel);
    return parts ? this.entry(parts) : undefined;
  }

  /** Merged directory listing of `rel`. */
  async readdir(rel: string): Promise<string[]> {
    const parts = await this.resolve(rel, true);
    if (!parts) return [];
    const names = new Map<string, boolean>();
    for (const [i, root] of this.layers.entries()) {
      if (!(await this.dirsIn(root, parts, parts.length))) {
        // Something other than a directory here hides the layers below.
        if (await this.exists(root, parts)) break;
        if (this.hiddenBelow(i, parts)) break;
        continue;
      }
      const dir = path.join(root, ...parts);
      for (const n of await fs.readdir(dir)) {
        if (names.has(n)) continue;
        const s = await fs.lstat(path.join(dir, n));
        names.set(n, !isWhiteout(s));
      }
      if (this.opaque[i]!.has(parts.join("/"))) break;
    }
    return [...names.entries()].filter(([, v]) => v).map(([n]) => n).sort();
  }

  /** The topmost entry for already-resolved components. */
  private async entry(parts: string[]): Promise<{ abs: string; st: Stats } | undefined> {
    for (const [i, root] of this.layers.entries()) {
      if (await this.dirsIn(root, parts, parts.length - 1)) {
        const abs = path.join(root, ...parts);
        const st = await fs.lstat(abs).catch(() => undefined);
        if (st) return isWhiteout(st) ? undefined : { abs, st };
      } else if (await this.blocked(root, parts)) return undefined;
      if (this.hiddenBelow(i, parts)) return undefined;
    }
    return undefined;
  }

  /** Whether the first `n` components are real directories in this layer (no symlink is crossed on the host). */
  private async dirsIn(root: string, parts: string[], n: number): Promise<boolean> {
    for (let k = 1; k <= n; k++) {
      const st = await fs.lstat(path.join(root, ...parts.slice(0, k))).catch(() => undefined);
      if (!st?.isDirectory()) return false;
    }
    return true;
  }

  /** A non-directory (file, symlink, whiteout) at a leading component of this layer hides lower layers there. */
  private async blocked(root: string, parts: string[]): Promise<boolean> {
    for (let k = 1; k < parts.length; k++) {
      const st = await fs.lstat(path.join(root, ...parts.slice(0, k))).catch(() => undefined);
      if (!st) return false;
      if (!st.isDirectory()) return true;
    }
    return false;
  }

  private async exists(root: string, parts: string[]): Promise<boolean> {
    return (await this.blocked(root, parts)) || !!(await fs.lstat(path.join(root, ...parts)).catch(() => undefined));
  }

  /** An opaque ancestor (or the directory itself) in layer i hides the layers below for this path. */
  private hiddenBelow(i: number, parts: string[]): boolean {
    for (let k = parts.length; k >= 0; k--) if (this.opaque[i]!.has(parts.slice(0, k).join("/"))) return true;
    return false;
  }

  /** Components of `rel` with symlinks in all but the last component (all, with followLast) followed inside the view. */
  private async resolve(rel: string, followLast = false): Promise<string[] | undefined> {
    let parts = path.posix.normalize(`/${rel}`).split("/").filter(Boolean);
    for (let hops = 0; hops < 40; ) {
      let restarted = false;
      for (let k = 0; k < parts.length - (followLast ? 0 : 1); k++) {
        const e = await this.entry(parts.slice(0, k + 1));
        if (!e) return undefined;
        if (e.st.isDirectory()) continue;
        if (!e.st.isSymbolicLink()) return undefined;
        const target = await fs.readlink(e.abs);
        const base = target.startsWith("/") ? target : path.posix.join("/", ...parts.slice(0, k), target);
        parts = [...path.posix.normalize(`/${base}`).split("/").filter(Boolean), ...parts.slice(k + 1)];
        hops++;
        restarted = true;
        break;
      }
      if (!restarted) return parts;
    }
    return undefined; // a symlink loop
  }

  /** Paths matching a pattern whose components may hold globs (*, ?, [..]). */
  async glob(pattern: string): Promise<string[]> {
    const parts = pattern.split("/").filter((p) => p && p !== ".");
    let found = [""];
    for (const part of parts) {
      const next: string[] = [];
      for (const base of found) {
        if (!/[*?[]/.test(part)) {
          const p = base ? `${base}/${part}` : part;
          if (await this.lookup(p)) next.push(p);
          continue;
        }
        for (const n of await this.readdir(base)) if (globRegex(part).test(n)) next.push(base ? `${base}/${n}` : n);
      }
      found = next;
    }
    return found;
  }
}

/** One path component's glob (*, ?, [...]) as a regular expression. */
export function globRegex(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 1);
      if (close < 0) re += "\\[";
      else {
        re += `[${glob.slice(i + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        i = close;
      }
    } else if (c === "\\" && i + 1 < glob.length) re += `\\${glob[++i]}`;
    else re += c.replace(/[.+^${}()|\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
