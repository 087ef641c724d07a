import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { FailedPrecondition, InvalidArgument, type Descriptor } from "@berth/core";
import type { BlobReader } from "@berth/core/content";

/**
 * Unpacks an image layer with container-root semantics, which differ from a plain `tar -x`:
 * symlink targets are kept verbatim (an absolute target means the container's root, not the
 * host's), ownership is restored, and every entry is checked so a hostile layer cannot write
 * outside `dest`: no absolute paths, no `..`, no writing through a symlink, no hard link to
 * outside the layer. node-tar only parses; the writing is ours.
 */
export async function unpackLayer(layer: Descriptor, blobs: BlobReader, dest: string): Promise<void> {
  if (!(await blobs.has(layer.digest))) throw new FailedPrecondition(`layer ${layer.digest} is not in the content store`);
  await fs.mkdir(dest, { recursive: true });
  const root = await fs.realpath(dest);
  const parser = new Parser({ strict: true });
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  const dirTimes: [string, Date][] = [];
  parser.on("entry", (entry: ReadEntry) => {
    chain = chain.then(async () => {
      if (failure) return void entry.resume();
      try {
        await writeEntry(root, entry, dirTimes);
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
  const stages = layer.mediaType.endsWith("gzip") ? [source, createGunzip(), parser] : [source, parser];
  await pipeline(stages as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
  await chain;
  if (failure) throw failure;
  // Directory mtimes last: writing their entries changed them.
  for (const [dir, mtime] of dirTimes.reverse()) await fs.utimes(dir, mtime, mtime).catch(() => undefined);
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

async function removeExisting(target: string, keepDir: boolean): Promise<void> {
  const st = await fs.lstat(target).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory() && !st.isSymbolicLink()) {
    if (!keepDir) await fs.rm(target, { recursive: true });
  } else {
    await fs.unlink(target);
  }
}

async function writeEntry(root: string, entry: ReadEntry, dirTimes: [string, Date][]): Promise<void> {
  const rel = cleanEntryPath(entry.path);
  if (rel === "") {
    entry.resume();
    return; // the root itself
  }
  if (path.posix.basename(rel).startsWith(".wh.")) {
    // Whiteouts matter only when layers are stacked; the builder issue adds them.
    throw new FailedPrecondition(`layer entry "${rel}" is a whiteout, which this version cannot unpack yet`);
  }
  const target = await ensureParents(root, rel);
  const mode = (entry.mode ?? 0o644) & 0o7777;
  const mtime = entry.mtime ?? new Date(0);
  switch (entry.type) {
    case "Directory": {
      await removeExisting(target, true);
      await fs.mkdir(target, { mode }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "EEXIST") throw e;
      });
      await fs.chmod(target, mode);
      entry.resume();
      dirTimes.push([target, mtime]);
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
    default:
      // Devices and FIFOs need mknod through the runtime; they come with the images issue.
      throw new FailedPrecondition(`layer entry "${rel}" is a ${entry.type}, which this version cannot unpack yet`);
  }
  await fs.lchown(target, entry.uid ?? 0, entry.gid ?? 0);
  if (entry.type !== "SymbolicLink" && mode & 0o7000) await fs.chmod(target, mode); // chown clears setuid/setgid
}
