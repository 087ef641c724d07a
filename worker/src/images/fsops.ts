import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { getXattr, setXattr as nativeSetXattr } from "@berth/native";
import { FailedPrecondition } from "@berth/core";

/**
 * The few filesystem operations Node has no API for: extended attributes through the native
 * addon; mknod by the `mknod` tool of coreutils.
 */
const run = promisify(execFile);

export const OPAQUE_XATTR = "trusted.overlay.opaque";

const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === "ENOENT" && typeof (e as { path?: unknown }).path === "string";

function toolError(what: string, e: unknown): Error {
  const err = e as { stderr?: string; message: string };
  return new Error(`${what}: ${(err.stderr || err.message).trim()}`);
}

/** An overlayfs whiteout: a character device 0/0 (how overlay marks a deleted lower file). */
export async function makeWhiteout(target: string): Promise<void> {
  await mknod(target, "c", 0, 0, 0o000);
}

export async function mknod(target: string, type: "c" | "b" | "p", major: number, minor: number, mode: number): Promise<void> {
  const args = ["-m", (mode & 0o7777).toString(8), target, type, ...(type === "p" ? [] : [String(major), String(minor)])];
  try {
    await run("mknod", args);
  } catch (e) {
    if (missing(e)) throw new FailedPrecondition("mknod (coreutils) is not installed: it is needed to unpack whiteouts and device nodes");
    throw toolError(`mknod ${target}`, e);
  }
}

/** Marks a directory opaque for overlayfs: lower layers' content under it is hidden. */
export async function setOpaque(dir: string): Promise<void> {
  await setXattr(dir, OPAQUE_XATTR, "y");
}

export async function setXattr(target: string, name: string, value: string): Promise<void> {
  nativeSetXattr(target, name, value);
}

/**
 * Directories under `root` carrying overlayfs' opaque mark, as paths relative to root. One
 * process walks the whole tree (a spawn per directory would be slow on big roots).
 */
export async function opaqueDirs(root: string): Promise<Set<string>> {
  const out = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    for (const e of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      try {
        if (getXattr(path.join(root, childRel), OPAQUE_XATTR).toString() === "y") out.add(childRel);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== "ENODATA" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw err;
      }
      await walk(childRel);
    }
  };
  await walk("").catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "ENOENT") throw e; // no tree: nothing is opaque
  });
  return out;
}
