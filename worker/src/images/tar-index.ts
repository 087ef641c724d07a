import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import { Readable } from "node:stream";
import { Header, Pax } from "tar";
import { InvalidArgument } from "@berth/core";

export interface TarMember {
  /** Normalised name: no leading "./", no trailing "/". */
  name: string;
  /** tar type name as node-tar spells it: "File", "Directory", "SymbolicLink", "Link", … */
  type: string;
  /** Byte offset of the member's data in the archive file. */
  offset: number;
  size: number;
  linkpath: string;
}

/**
 * A tar file on disk, indexed once so its members can be read in any order without
 * reading the whole archive again: docker-archive puts manifest.json last, and an OCI layout
 * is read by digest. Only headers are read while indexing; data is skipped by seeking.
 */
export class TarIndex {
  private constructor(
    readonly file: string,
    private readonly members: Map<string, TarMember>,
  ) {}

  static async open(file: string): Promise<TarIndex> {
    const fh = await fs.open(file, "r");
    const members = new Map<string, TarMember>();
    try {
      const { size: fileSize } = await fh.stat();
      const block = Buffer.alloc(512);
      let pos = 0;
      let ex: Record<string, unknown> | undefined;
      let gex: Record<string, unknown> | undefined;
      let longName: string | undefined;
      let longLink: string | undefined;
      for (;;) {
        if (pos + 512 > fileSize) {
          if (pos === 0) throw new InvalidArgument("the archive is empty or not a tar file");
          break; // some writers omit the end-of-archive blocks
        }
        await readFully(fh, block, pos);
        if (block.every((b) => b === 0)) break; // end of archive
        const h = new Header(block, 0, ex as never, gex as never);
        if (!h.cksumValid) throw new InvalidArgument(`the archive is not a valid tar file (bad header checksum at byte ${pos})`);
        const size = h.size ?? 0;
        const dataAt = pos + 512;
        if (dataAt + size > fileSize) throw new InvalidArgument(`the archive is truncated (member "${h.path}" runs past the end of the file)`);
        pos = dataAt + Math.ceil(size / 512) * 512;
        const key = h.typeKey;
        if (key === "x" || key === "g" || key === "L" || key === "K") {
          if (size > 1 << 20) throw new InvalidArgument(`the archive has an extended header of ${size} bytes`);
          const body = Buffer.alloc(size);
          await readFully(fh, body, dataAt);
          if (key === "x") ex = { ...Pax.parse(body.toString("utf8"), ex as never, false) };
          else if (key === "g") gex = { ...Pax.parse(body.toString("utf8"), gex as never, true) };
          else if (key === "L") longName = body.toString("utf8").replace(/\0.*$/s, "");
          else longLink = body.toString("utf8").replace(/\0.*$/s, "");
          continue;
        }
        const rawName = longName ?? h.path ?? "";
        const linkpath = longLink ?? h.linkpath ?? "";
        ex = undefined;
        longName = longLink = undefined;
        const name = cleanMemberName(rawName);
        if (name === "") continue;
        members.set(name, { name, type: h.type, offset: dataAt, size, linkpath });
      }
    } finally {
      await fh.close();
    }
    return new TarIndex(file, members);
  }

  has(name: string): boolean {
    return this.resolve(name, false) !== undefined;
  }

  names(): string[] {
    return [...this.members.keys()];
  }

  /** The member behind a name, following symlinks and hard links inside the archive (docker save links repeated layers). */
  member(name: string): TarMember {
    const m = this.resolve(name, true);
    if (!m) throw new InvalidArgument(`the archive has no "${name}" (its manifest names it)`);
    return m;
  }

  private resolve(name: string, strict: boolean): TarMember | undefined {
    let cur = cleanMemberName(name);
    for (let hops = 0; hops < 16; hops++) {
      const m = this.members.get(cur);
      if (!m) return undefined;
      if (m.type === "SymbolicLink") {
        const dir = cur.includes("/") ? cur.slice(0, cur.lastIndexOf("/")) : "";
        cur = cleanMemberName(m.linkpath.startsWith("/") ? m.linkpath.slice(1) : dir ? `${dir}/${m.linkpath}` : m.linkpath, true);
        continue;
      }
      if (m.type === "Link") {
        cur = cleanMemberName(m.linkpath);
        continue;
      }
      if (m.type !== "File" && m.type !== "OldFile" && m.type !== "ContiguousFile") {
        if (strict) throw new InvalidArgument(`archive member "${name}" is a ${m.type}, not a file`);
        return undefined;
      }
      return m;
    }
    if (strict) throw new InvalidArgument(`archive member "${name}" is a link loop`);
    return undefined;
  }

  /** Streams one member's bytes from the archive file. */
  open(name: string): Readable {
    const m = this.member(name);
    if (m.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: m.offset, end: m.offset + m.size - 1, highWaterMark: 1 << 20 });
  }

  async read(name: string, max = 64 << 20): Promise<Buffer> {
    const m = this.member(name);
    if (m.size > max) throw new InvalidArgument(`archive member "${name}" is ${m.size} bytes, more than the ${max} expected`);
    const buf = Buffer.alloc(m.size);
    const fh = await fs.open(this.file, "r");
    try {
      await readFully(fh, buf, m.offset);
    } finally {
      await fh.close();
    }
    return buf;
  }

  async readJson<T>(name: string): Promise<T> {
    const buf = await this.read(name);
    try {
      return JSON.parse(buf.toString("utf8")) as T;
    } catch (e) {
      throw new InvalidArgument(`archive member "${name}" is not valid JSON: ${(e as Error).message}`);
    }
  }
}

/**
 * "./a//b/" → "a/b". Members are never written to disk, but a name that climbs out of the
 * archive ("../x", "/etc/x") marks a hostile or broken archive: refused. With `allowDotDot`
 * (symlink targets) ".." is resolved and must stay inside.
 */
export function cleanMemberName(raw: string, allowDotDot = false): string {
  if (raw.startsWith("/")) throw new InvalidArgument(`archive member "${raw}" has an absolute path`);
  const out: string[] = [];
  for (const p of raw.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (!allowDotDot || out.length === 0) throw new InvalidArgument(`archive member "${raw}" contains ".." that leaves the archive`);
      out.pop();
      continue;
    }
    out.push(p);
  }
  return out.join("/");
}

async function readFully(fh: fs.FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await fh.read(buf, off, buf.length - off, position + off);
    if (bytesRead === 0) throw new InvalidArgument("the archive is truncated");
    off += bytesRead;
  }
}
