import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { FailedPrecondition, InvalidArgument, type Descriptor } from "@berth/core";
import type { BlobReader } from "@berth/core/content";
import { makeWhiteout, mknod, setOpaque } from "./fsops.js";
import { TarXattrScanner } from "./tar-xattr-scan.js";
import { classifyEntry } from "./whiteout.js";
import { applyLayerXattrs } from "./xattrs.js";

/**
 * Unpacks an image layer with container-root semantics, which differ from a plain `tar -x`:
 * symlink targets are kept verbatim (an absolute target means the container's root, not the
 * host's), ownership is restored, and every entry is checked so a hostile layer cannot write
 * outside `dest`: no absolute paths, no `..`, no writing through a symlink, no hard link to
 * outside the layer. node-tar only parses; the writing is ours.
 *
 * Each layer is unpacked into its own directory, used as one overlayfs lowerdir, so OCI
 * whiteouts become overlayfs ones: `.wh.name` → a 0/0 character device `name`, and
 * `.wh..wh..opq` → the `trusted.overlay.opaque=y` mark on its directory. Extended attributes
 * (PAX `SCHILY.xattr.*`, read as bytes by a scanner in front of the parser) are set last.
 */
export async function unpackLayer(layer: Descriptor, blobs: BlobReader, dest: string): Promise<void> {
  if (!(await blobs.has(layer.digest))) throw new FailedPrecondition(`layer ${layer.digest} is not in the content store`);
  await fs.mkdir(dest, { recursive: true });
  const root = await fs.realpath(dest);
  const parser = new Parser({ strict: true });
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  const scanner = new TarXattrScanner();
  const state: UnpackState = { dirTimes: [], whiteouts: new Set(), scanner };
  parser.on("entry", (entry: ReadEntry) => {
    chain = chain.then(async () => {
      if (failure) return void entry.resume();
      try {
        await writeEntry(root, entry, state);
      } catch (e) {
        failure ??= e;
        entry.resume();
      }
    });
  });
  parser.on("warn", (code: string, message: string) => {
    failure ??= new InvalidArgument(`layer ${layer.digest}: ${code}: ${message}`);
  });
  const source = blobs.open(layer.digest);
  const stages = layer.mediaType.endsWith("gzip") ? [source, createGunzip(), scanner, parser] : [source, scanner, parser];
  await pipeline(stages as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
  await chain;
  if (failure) throw failure;
  // Directory mtimes last: writing their entries changed them.
  for (const [dir, mtime] of state.dirTimes.reverse()) await fs.utimes(dir, mtime, mtime).catch(() => undefined);
}

/** "./a/b/" → "a/b"; refuses what would leave the layer's root. */
export function cleanEntryPath(raw: string): string {
  if (raw.startsWith("/")) throw new InvalidArgument(`layer entry "${raw}" has an absolute path`);
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new InvalidArgument(`layer entry "${raw}" contains ".."`);
  return parts.join("/");
}

/** Refuses a target whose parent directories are not real directories inside root (a symlink there would redirect the write). */
async function ensureParents(root: string, rel: string): Promise<string> {
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
async function ensureDirectory(root: string, rel: string): Promise<void> {
  const target = await ensureParents(root, rel);
  const st = await fs.lstat(target).catch(() => undefined);
  if (!st) await fs.mkdir(target, { mode: 0o755 });
  else if (!st.isDirectory()) throw new InvalidArgument(`layer entry "${rel}/.wh..wh..opq" marks "${rel}" opaque, but it is not a directory`);
}

async function removeExisting(target: string, keepDir: boolean): Promise<void> {
  const st = await fs.lstat(target).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory() && !st.isSymbolicLink()) {
    if (!keepDir) await fs.rm(target, { recursive: true });
  } else {
    await fs.unlink(target);
  }
}

interface UnpackState {
  dirTimes: [string, Date][];
  /** Whiteouts made by this layer: an entry of the same layer recreating the path replaces them. */
  whiteouts: Set<string>;
  scanner: TarXattrScanner;
}

async function writeEntry(root: string, entry: ReadEntry, state: UnpackState): Promise<void> {
  const xattrs = state.scanner.xattrsFor(entry.path);
  const rel = cleanEntryPath(entry.path);
  if (rel === "") {
    entry.resume();
    return; // the root itself
  }
  const what = classifyEntry(rel);
  if (what.kind !== "entry") {
    entry.resume();
    if (what.kind === "opaque") {
      if (what.dir) await ensureDirectory(root, what.dir);
      await setOpaque(what.dir ? path.join(root, what.dir) : root);
    } else if (what.kind === "whiteout") {
      const target = await ensureParents(root, what.target);
      await removeExisting(target, false);
      await makeWhiteout(target);
      state.whiteouts.add(what.target);
    }
    return;
  }
  const target = await ensureParents(root, rel);
  const mode = (entry.mode ?? 0o644) & 0o7777;
  const mtime = entry.mtime ?? new Date(0);
  // "deleted, then made again" in one layer: as a directory it must not show the lower one's content.
  const recreated = state.whiteouts.delete(rel);
  switch (entry.type) {
    case "Directory": {
      await removeExisting(target, true);
      await fs.mkdir(target, { mode }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "EEXIST") throw e;
      });
      await fs.chmod(target, mode);
      if (recreated) await setOpaque(target);
      entry.resume();
      state.dirTimes.push([target, mtime]);
      break;
    }
    case "File":
    case "OldFile":
    case "ContiguousFile": {
      await removeExisting(target, false);
      await pipeline(entry, createWriteStream(target, { flags: "wx", mode }));
      await fs.chmod(target, mode); // the umask trimmed the create mode
      await fs.utimes(target, mtime, mtime);
      break;
    }
    case "SymbolicLink": {
      await removeExisting(target, false);
      await fs.symlink(entry.linkpath ?? "", target);
      entry.resume();
      break;
    }
    case "Link": {
      const source = path.join(root, cleanEntryPath(entry.linkpath ?? ""));
      const st = await fs.lstat(source).catch(() => undefined);
      if (!st || st.isDirectory()) throw new InvalidArgument(`layer entry "${rel}" links to "${entry.linkpath}", which is not a file earlier in the layer`);
      await removeExisting(target, false);
      await fs.link(source, target);
      entry.resume();
      return; // shares the source's inode: nothing more to set
    }
    case "FIFO": {
      await removeExisting(target, false);
      await mknod(target, "p", 0, 0, mode);
      entry.resume();
      break;
    }
    case "CharacterDevice":
    case "BlockDevice": {
      entry.resume();
      // The runtime mounts its own /dev over the image's, so device nodes there are moot.
      if (rel === "dev" || rel.startsWith("dev/")) return;
      // Elsewhere a device node would reach host hardware: no device cgroup guards it yet.
      throw new FailedPrecondition(`layer entry "${rel}" is a ${entry.type}: device nodes outside /dev are not supported`);
    }
    default:
      throw new FailedPrecondition(`layer entry "${rel}" is a ${entry.type}, which Berth cannot unpack`);
  }
  await fs.lchown(target, entry.uid ?? 0, entry.gid ?? 0);
  if (entry.type !== "SymbolicLink" && mode & 0o7000) await fs.chmod(target, mode); // chown clears setuid/setgid
  if (xattrs.size) applyLayerXattrs(target, xattrs, entry.type === "SymbolicLink", rel);
}
