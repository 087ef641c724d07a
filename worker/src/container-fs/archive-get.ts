import { closeSync, constants as C, createWriteStream, fstatSync, type Stats } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Header, Pax } from "tar";
import { NotFound, type ContainerArchiveGetResult } from "@berth/core";
import { openInRoot } from "@berth/native";
import { cleanContainerPath, inFd } from "./paths.js";

type EntryType = "File" | "Directory" | "SymbolicLink" | "FIFO" | "CharacterDevice" | "BlockDevice";
const ZERO = Buffer.alloc(1024);
const O_PATH = 0o10000000;

function header(name: string, type: EntryType, size: number, st: Stats, linkpath = ""): Buffer {
  const fields = { path: name, type, size, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime, uname: "", gname: "", linkpath, devmaj: 0, devmin: 0 };
  if (type === "CharacterDevice" || type === "BlockDevice") {
    fields.devmaj = (st.rdev >> 8) & 0xfff;
    fields.devmin = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
  }
  const block = Buffer.alloc(512);
  if (!new Header(fields).encode(block, 0)) return block;
  return Buffer.concat([new Pax({ path: name, ...(linkpath ? { linkpath } : {}), uid: st.uid, gid: st.gid, size }).encode(), block]);
}

/**
 * One entry (and, for a directory, everything under it) of the directory open as `dirFd`. Every
 * step is one component below an fd: lstat and readlink never follow the last component,
 * directories and files are opened O_NOFOLLOW, so a container swapping a file for a symlink while
 * it is read makes the read fail, never leave the container.
 */
async function* entry(dirFd: number, name: string, tarName: string): AsyncGenerator<Buffer> {
  const p = inFd(dirFd, name);
  const st = await fs.lstat(p);
  if (st.isDirectory()) {
    const dir = await fs.open(p, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
    try {
      yield header(`${tarName}/`, "Directory", 0, await dir.stat());
      yield* children(dir.fd, tarName);
    } finally {
      await dir.close();
    }
  } else if (st.isFile()) {
    const f = await fs.open(p, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
    try {
      const fst = await f.stat();
      if (!fst.isFile()) return;
      yield header(tarName, "File", fst.size, fst);
      let left = fst.size;
      const buf = Buffer.alloc(Math.min(1 << 20, Math.max(fst.size, 1)));
      while (left > 0) {
        const { bytesRead } = await f.read(buf, 0, Math.min(buf.length, left), null);
        if (bytesRead === 0) break;
        left -= bytesRead;
        yield Buffer.from(buf.subarray(0, bytesRead));
      }
      // A file that shrank while read: padded, so the archive stays well-formed.
      while (left > 0) {
        const n = Math.min(left, ZERO.length);
        yield ZERO.subarray(0, n);
        left -= n;
      }
      if (fst.size % 512) yield ZERO.subarray(0, 512 - (fst.size % 512));
    } finally {
      await f.close();
    }
  } else if (st.isSymbolicLink()) yield header(tarName, "SymbolicLink", 0, st, await fs.readlink(p));
  else if (st.isFIFO()) yield header(tarName, "FIFO", 0, st);
  else if (st.isCharacterDevice()) yield header(tarName, "CharacterDevice", 0, st);
  else if (st.isBlockDevice()) yield header(tarName, "BlockDevice", 0, st);
}

async function* children(dirFd: number, prefix: string): AsyncGenerator<Buffer> {
  for (const child of (await fs.readdir(`/proc/self/fd/${dirFd}`)).sort()) yield* entry(dirFd, child, prefix ? `${prefix}/${child}` : child);
}

/**
 * `cp CONTAINER:SRC`: SRC under `root` as a tar in `output`, named by its base name (a directory's
 * contents only, for "SRC/."). Like docker, a symlink is archived as the link itself, unless SRC
 * ends with "/" or "/.": then it is followed, inside the container's root.
 */
export async function archiveGet(root: string, src: string, output: string, containerId: string): Promise<ContainerArchiveGetResult> {
  const clean = cleanContainerPath(src);
  const contentsOnly = /(^|\/)\.$/.test(src) || clean === "/";
  const follow = contentsOnly || src.endsWith("/");
  const notFound = (e: unknown): never => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new NotFound(`Could not find the file ${src} in container ${containerId.slice(0, 12)}`);
    throw e;
  };
  const base = clean === "/" ? "/" : path.posix.basename(clean);
  const parentFd = (() => {
    try {
      return openInRoot(root, follow ? clean : path.posix.dirname(clean), (follow ? C.O_RDONLY | C.O_DIRECTORY : O_PATH | C.O_DIRECTORY) >>> 0);
    } catch (e) {
      return notFound(e);
    }
  })();
  try {
    const st = follow ? fstatSync(parentFd) : await fs.lstat(inFd(parentFd, base)).catch(notFound);
    const linkTarget = st.isSymbolicLink() ? await fs.readlink(inFd(parentFd, base)) : "";
    const gen = follow ? (contentsOnly ? children(parentFd, "") : entry(parentFd, ".", base)) : entry(parentFd, base, base);
    const all = (async function* () {
      yield* gen;
      yield ZERO;
    })();
    await pipeline(Readable.from(all, { objectMode: false }), createWriteStream(output, { flags: "wx", mode: 0o600 }));
    const { size } = await fs.stat(output);
    return { size, stat: { name: base, mode: st.mode, size: st.size, linkTarget, isDir: st.isDirectory() } };
  } finally {
    closeSync(parentFd);
  }
}
