/**
 * A small build context (the usual case: a Dockerfile and a few sources) packed in memory, in
 * one synchronous pass. node-tar's streaming packer costs several milliseconds of thread-pool
 * round trips per file, longer than a fully cached build takes on the server. The archive is
 * the one node-tar's portable mode writes (same headers, modes, mtimes, pax for long names),
 * so the server's cache keys are the same whichever path made it; anything this pass does not
 * handle alike (hard links, devices, sockets, a large context) makes it answer undefined and
 * the caller streams with node-tar.
 */
import fs from "node:fs";
import path from "node:path";
import { Header } from "tar/header";
import { Pax } from "tar/pax";

/** Above this many bytes of file data the context is streamed instead. */
export const SMALL_CONTEXT_BYTES = 1 << 20;
const SMALL_CONTEXT_ENTRIES = 2000;

/** node-tar's portable mode bits: never less than rw for the owner, never group/other-writable; readable dirs listable. */
function portableMode(mode: number, isDir: boolean): number {
  let m = ((mode & 0o7777) | 0o600) & ~0o22;
  if (isDir) {
    if (m & 0o400) m |= 0o100;
    if (m & 0o40) m |= 0o10;
    if (m & 0o4) m |= 0o1;
  }
  return m;
}

function headerBlocks(fields: { path: string; type: "File" | "Directory" | "SymbolicLink"; size: number; mode: number; mtime?: Date; linkpath?: string }): Buffer[] {
  const block = Buffer.alloc(512);
  const h = new Header(fields);
  if (!h.encode(block, 0)) return [block];
  // A field that does not fit ustar (a long path or link target): a pax header first, as node-tar writes it.
  const pax = new Pax({ path: fields.path, size: fields.size, ...(fields.mtime ? { mtime: fields.mtime } : {}), ...(fields.linkpath !== undefined ? { linkpath: fields.linkpath } : {}) });
  return [pax.encode(), block];
}

/** `files` (relative to `dir`, as contextFiles lists them) as one tar, or undefined when it is not small and plain. */
export function smallContextTar(dir: string, files: string[]): Buffer | undefined {
  if (files.length > SMALL_CONTEXT_ENTRIES) return undefined;
  const stats: fs.Stats[] = [];
  let bytes = 0;
  for (const f of files) {
    const st = fs.lstatSync(path.join(dir, f));
    if (st.isFile()) {
      if (st.nlink > 1) return undefined;
      bytes += st.size;
      if (bytes > SMALL_CONTEXT_BYTES) return undefined;
    } else if (!st.isDirectory() && !st.isSymbolicLink()) return undefined;
    stats.push(st);
  }
  const out: Buffer[] = [];
  for (const [i, f] of files.entries()) {
    const st = stats[i]!;
    const abs = path.join(dir, f);
    if (st.isDirectory()) {
      // No mtime for a directory, as node-tar's portable mode.
      out.push(...headerBlocks({ path: `${f}/`, type: "Directory", size: 0, mode: portableMode(st.mode, true) }));
    } else if (st.isSymbolicLink()) {
      out.push(...headerBlocks({ path: f, type: "SymbolicLink", size: 0, mode: portableMode(st.mode, false), mtime: st.mtime, linkpath: fs.readlinkSync(abs) }));
    } else {
      const data = fs.readFileSync(abs);
      // Changed since the stat: the streaming packer reports such a file, so let it.
      if (data.length !== st.size) return undefined;
      out.push(...headerBlocks({ path: f, type: "File", size: data.length, mode: portableMode(st.mode, false), mtime: st.mtime }), data);
      if (data.length % 512) out.push(Buffer.alloc(512 - (data.length % 512)));
    }
  }
  // End of archive: two zero blocks.
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}
