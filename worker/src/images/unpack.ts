import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { BerthError, FailedPrecondition, InvalidArgument, type Descriptor } from "@berth/core";
import type { BlobReader } from "@berth/core/content";
import { makeWhiteout, mknod, setOpaque } from "./fsops.js";
import { hardLink } from "./hardlink.js";
import { cleanEntryPath, ensureDirectory, ensureParents, removeExisting } from "./layer-paths.js";
import { TarXattrScanner } from "./tar-xattr-scan.js";
import { classifyEntry } from "./whiteout.js";
import { applyLayerXattrs } from "./xattrs.js";

export { cleanEntryPath };

/**
 * Unpacks an image layer with container-root semantics, which differ from a plain `tar -x`:
 * symlink targets are kept verbatim (an absolute target means the container's root, not the
 * host's), ownership is restored, and every entry is checked so a hostile layer cannot write
 * outside `dest`: no absolute paths, no `..`, no writing through a symlink. node-tar only
 * parses; the writing is ours.
 *
 * A hard link is made by the kernel inside the layer (see hardLink): neither of its paths may
 * cross a symlink, so `evil -> /host/dir` then `leak => evil/secret` cannot link a host file
 * into the image. Its target may be in a lower layer (`lowers`, the snapshots below this one,
 * topmost first): that file is copied up into this layer first, as overlayfs would.
 *
 * Each layer is unpacked into its own directory, used as one overlayfs lowerdir, so OCI
 * whiteouts become overlayfs ones: `.wh.name` → a 0/0 character device `name`, and
 * `.wh..wh..opq` → the `trusted.overlay.opaque=y` mark on its directory. Extended attributes
 * (PAX `SCHILY.xattr.*`, read as bytes by a scanner in front of the parser) are set last.
 */
export async function unpackLayer(layer: Descriptor, blobs: BlobReader, dest: string, lowers: string[] = []): Promise<void> {
  if (!(await blobs.has(layer.digest))) throw new FailedPrecondition(`layer ${layer.digest} is not in the content store`);
  await fs.mkdir(dest, { recursive: true });
  const root = await fs.realpath(dest);
  const parser = new Parser({ strict: true });
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  const scanner = new TarXattrScanner();
  const state: UnpackState = { dirTimes: [], whiteouts: new Set(), scanner, lowers };
  parser.on("entry", (entry: ReadEntry) => {
    chain = chain.then(async () => {
      if (failure) return void entry.resume();
      try {
        await writeEntry(root, entry, state);
      } catch (e) {
        failure ??= inLayer(layer.digest, e);
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

interface UnpackState {
  dirTimes: [string, Date][];
  /** Whiteouts made by this layer: an entry of the same layer recreating the path replaces them. */
  whiteouts: Set<string>;
  scanner: TarXattrScanner;
  /** The snapshots below this layer, topmost first: where a hard link's target may also be. */
  lowers: string[];
}

/** Names the layer in an entry's error (which names the entry), keeping its kind. */
function inLayer(digest: string, e: unknown): unknown {
  if (!(e instanceof BerthError) || e.message.includes(digest)) return e;
  return new BerthError(e.kind, `layer ${digest}: ${e.message}`, { cause: e });
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
      entry.resume();
      await hardLink(root, rel, entry.linkpath ?? "", state.lowers);
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
