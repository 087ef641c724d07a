import fs from "node:fs";
import path from "node:path";
import { PermissionDenied } from "../errors.js";

/**
 * While a project loads with `root` set (a preview's checkout: the repository is not trusted),
 * every file it reads (compose files, extends, include, .env, env_file) must really lie inside
 * root: an absolute path, a `..` or a symlink out of it would hand a host file to the stack.
 * loadCompose is synchronous, so the root it sets holds for exactly one load.
 */
let root: string | undefined;

export function withRoot<T>(dir: string | undefined, fn: () => T): T {
  const before = root;
  root = dir === undefined ? undefined : fs.realpathSync(dir);
  try {
    return fn();
  } finally {
    root = before;
  }
}

/** Throws unless `file` (when it exists) resolves inside the current root. */
export function confine(file: string, what: string): void {
  if (root === undefined || !fs.existsSync(file)) return;
  const real = fs.realpathSync(file);
  const rel = path.relative(root, real);
  if (rel === ".." || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new PermissionDenied(`${what} ${file} is outside the repository (it resolves to ${real}): a preview reads only the repository's own files`);
  }
}
