/**
 * Unpacks a small, plain build context (what `berth build` sends: directories, regular files,
 * symlinks, pax headers for long names) into an empty directory in one synchronous pass, as
 * node-tar's unpack leaves it (modes under the process umask, mtimes from the headers, no
 * owners). node-tar takes several milliseconds for a three-file context, more than the rest of
 * a fully cached build's unpacking and reading together.
 *
 * It writes nothing it cannot vouch for: a member whose parent is not a directory made earlier
 * in this same pass (so nothing is ever written through a symlink), an absolute or `..` path, a
 * duplicate, a hard link, a device, a bad checksum: for any of these it answers false and the
 * caller unpacks the archive with node-tar instead (which refuses what must be refused).
 */
import fs from "node:fs";
import path from "node:path";
import { Header, Pax } from "tar";
import type { ContextMeter } from "./limits.js";

/** Writes the archive into `dir`, each entry checked by `meter` first (its error is thrown as is). */
export function unpackPlain(archive: Buffer, dir: string, meter?: ContextMeter): boolean {
  const dirs = new Set<string>([""]);
  const seen = new Set<string>();
  let ex: Pax | undefined;
  for (let off = 0; off + 512 <= archive.length; ) {
    const h = new Header(archive, off);
    off += 512;
    if (h.nullBlock) return true;
    if (!h.cksumValid) return false;
    // A pax header's fields win over the ustar ones (as node-tar's entries take them).
    const size = ex?.size ?? h.size ?? 0;
    const body = archive.subarray(off, off + size);
    if (body.length !== size) return false;
    off += Math.ceil(size / 512) * 512;
    if (h.type === "ExtendedHeader") {
      if (ex) return false;
      ex = Pax.parse(body.toString("utf8"), ex, false);
      continue;
    }
    const name = (ex?.path ?? h.path ?? "").replace(/\/+$/, "");
    const linkpath = ex?.linkpath ?? h.linkpath;
    const mtime = ex?.mtime ?? h.mtime;
    ex = undefined;
    // Only names already in canonical form ("./x", ".", "a//b" and the like go to node-tar, which
    // knows what each means for the directory itself).
    if (!name || path.posix.isAbsolute(name) || path.posix.normalize(name) !== name || name === "." || name.split("/").includes("..")) return false;
    if (seen.has(name)) return false;
    seen.add(name);
    const parent = path.posix.dirname(name) === "." ? "" : path.posix.dirname(name);
    if (!dirs.has(parent)) return false;
    meter?.entry(name, h.type === "File" || h.type === "OldFile" ? size : 0);
    const abs = path.join(dir, name);
    const mode = (h.mode ?? 0) & 0o7777;
    if (h.type === "Directory") {
      fs.mkdirSync(abs, { mode });
      dirs.add(name);
      if (mtime) fs.utimesSync(abs, new Date(), mtime);
    } else if (h.type === "File" || h.type === "OldFile") {
      // wx: never through anything already there (there is nothing: the directory was empty).
      const fd = fs.openSync(abs, "wx", mode);
      try {
        fs.writeSync(fd, body);
        if (mtime) fs.futimesSync(fd, new Date(), mtime);
      } finally {
        fs.closeSync(fd);
      }
    } else if (h.type === "SymbolicLink") {
      if (!linkpath) return false;
      fs.symlinkSync(linkpath, abs);
    } else return false;
  }
  // No end-of-archive blocks: node-tar accepts a truncated archive's members as they are; let it decide.
  return false;
}
