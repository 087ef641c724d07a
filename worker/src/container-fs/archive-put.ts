import { closeSync, constants as C, createReadStream, fstatSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Parser, type ReadEntry } from "tar";
import { FailedPrecondition, InvalidArgument, NotFound } from "@berth/core";
import { openInRoot } from "@berth/native";
import { cleanContainerPath, entryParts, inFd } from "./paths.js";

const O_PATH = 0o10000000;

export interface PutSource {
  /** The archive's top entry; null: the archive holds a directory's contents (SRC/.). */
  base: string | null;
  isDir: boolean;
}

function openDir(root: string, p: string, what: string): number {
  try {
    return openInRoot(root, p, (O_PATH | C.O_DIRECTORY) >>> 0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFound(`Could not find the file ${what} in container`);
    if (code === "ENOTDIR") throw new InvalidArgument(`${what} is not a directory in the container`);
    throw e;
  }
}

/** What DEST is in the container (symlinks followed inside its root): "dir", "other", or undefined. */
function kindOf(root: string, p: string): "dir" | "other" | undefined {
  let fd: number;
  try {
    fd = openInRoot(root, p, O_PATH >>> 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    return fstatSync(fd).isDirectory() ? "dir" : "other";
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the archive goes, by Docker's rules for `cp SRC CONTAINER:DEST`: into DEST when it is a
 * directory; as DEST (the top entry renamed) when DEST is a file or does not exist but its
 * parent does; a directory's contents (SRC/.) into DEST, made if missing. `-` (no source): DEST
 * must be a directory.
 */
export function placement(root: string, dest: string, source: PutSource | undefined): { dir: string; rename?: { from: string; to: string }; mkdir?: boolean } {
  const clean = cleanContainerPath(dest);
  const kind = kindOf(root, clean);
  if (!source) {
    if (kind !== "dir") throw kind ? new InvalidArgument(`extraction point is not a directory: ${dest}`) : new NotFound(`Could not find the file ${dest} in container`);
    return { dir: clean };
  }
  if (kind === "dir") return { dir: clean };
  if (kind === "other") {
    if (source.isDir) throw new InvalidArgument(`cannot copy a directory to a file: ${dest} is not a directory`);
    if (dest.endsWith("/")) throw new InvalidArgument(`${dest} is not a directory`);
  } else if (dest.endsWith("/")) throw new NotFound(`no such directory: ${dest}`);
  if (clean === "/") return { dir: clean };
  const parent = path.posix.dirname(clean);
  if (kindOf(root, parent) !== "dir") throw new NotFound(`Could not find the file ${parent} in container`);
  if (source.base === null) return { dir: clean, mkdir: true };
  return { dir: parent, rename: { from: source.base, to: path.posix.basename(clean) } };
}

/** Streams into an open file (kept open: its mode and times are set through it after). */
async function copyInto(from: AsyncIterable<Buffer | string>, f: fs.FileHandle): Promise<void> {
  for await (const chunk of from) await f.write(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
}

/** Removes what is at `name` in the directory fd unless it is a directory (which is kept). */
async function clearLeaf(dirFd: number, name: string): Promise<"dir" | "none"> {
  const st = await fs.lstat(inFd(dirFd, name)).catch(() => undefined);
  if (!st) return "none";
  if (st.isDirectory()) return "dir";
  await fs.unlink(inFd(dirFd, name));
  return "none";
}

/**
 * Extracts one entry under `dir` in the container. The parent directory is opened with
 * openInRoot (symlinks in the container resolve inside it: /tmp/evil -> / means the container's
 * /), then the entry is made one component below that fd: files O_CREAT|O_EXCL|O_NOFOLLOW,
 * modes and times set through the open fd, never through a path.
 */
async function writeEntry(root: string, dir: string, e: ReadEntry, rename: { from: string; to: string } | undefined): Promise<void> {
  let parts = entryParts(e.path);
  if (rename && parts[0] === rename.from) parts = [rename.to, ...parts.slice(1)];
  if (parts.length === 0) return void e.resume();
  const full = path.posix.join(dir, ...parts);
  const parentFd = openDir(root, path.posix.dirname(full), path.posix.dirname(full));
  const leaf = path.posix.basename(full);
  const p = inFd(parentFd, leaf);
  const mode = (e.mode ?? 0o644) & 0o7777;
  try {
    switch (e.type) {
      case "Directory": {
        if ((await clearLeaf(parentFd, leaf)) === "none") await fs.mkdir(p, { mode });
        const d = await fs.open(p, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
        await d.chmod(mode).finally(() => d.close());
        e.resume();
        return;
      }
      case "File":
      case "OldFile":
      case "ContiguousFile": {
        if ((await clearLeaf(parentFd, leaf)) === "dir") throw new InvalidArgument(`cannot overwrite directory ${full} with a file`);
        const f = await fs.open(p, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode);
        try {
          await copyInto(e, f);
          await f.chmod(mode);
          if (e.mtime) await f.utimes(e.mtime, e.mtime);
        } finally {
          await f.close();
        }
        return;
      }
      case "SymbolicLink":
        if ((await clearLeaf(parentFd, leaf)) === "dir") throw new InvalidArgument(`cannot overwrite directory ${full} with a symlink`);
        await fs.symlink(e.linkpath ?? "", p);
        e.resume();
        return;
      case "Link": {
        // A hard link to an earlier entry: a copy of it (linking through /proc would need CAP_DAC_READ_SEARCH tricks).
        let target = entryParts(e.linkpath ?? "");
        if (rename && target[0] === rename.from) target = [rename.to, ...target.slice(1)];
        const src = openInRoot(root, path.posix.join(dir, ...target), (C.O_RDONLY | C.O_NOFOLLOW) >>> 0);
        if ((await clearLeaf(parentFd, leaf)) === "dir") throw new InvalidArgument(`cannot overwrite directory ${full} with a file`);
        const f = await fs.open(p, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode);
        try {
          await copyInto(createReadStream("", { fd: src }), f);
          await f.chmod(mode);
        } finally {
          await f.close();
        }
        e.resume();
        return;
      }
      default:
        // Devices, FIFOs, pax headers: not made by cp.
        e.resume();
    }
  } finally {
    closeSync(parentFd);
  }
}

/** `cp … CONTAINER:DEST`: extracts the tar at `archive` into the container's filesystem under `root`. */
export async function archivePut(root: string, dest: string, archive: string, source: PutSource | undefined): Promise<void> {
  const where = placement(root, dest, source);
  if (where.mkdir) {
    const parentFd = openDir(root, path.posix.dirname(where.dir), path.posix.dirname(where.dir));
    try {
      await fs.mkdir(inFd(parentFd, path.posix.basename(where.dir)), { mode: 0o755 });
    } finally {
      closeSync(parentFd);
    }
  }
  const parser = new Parser({ strict: true });
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  parser.on("entry", (e: ReadEntry) => {
    chain = chain.then(async () => {
      if (failure) return void e.resume();
      try {
        await writeEntry(root, where.dir, e, where.rename);
      } catch (err) {
        failure ??= err;
        e.resume();
      }
    });
  });
  parser.on("warn", (code: string, message: string) => {
    failure ??= new InvalidArgument(`the archive is not a valid tar: ${code}: ${message}`);
  });
  await pipeline(createReadStream(archive), parser);
  await chain;
  if (failure) {
    const code = (failure as NodeJS.ErrnoException).code;
    if (code === "EROFS") throw new FailedPrecondition(`cannot copy into ${dest}: read-only file system`);
    throw failure;
  }
}
