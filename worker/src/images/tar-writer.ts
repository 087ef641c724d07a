import fs from "node:fs/promises";
import type { Readable } from "node:stream";
import { Header, Pax } from "tar";

export interface TarEntryOptions {
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  uname?: string;
  gname?: string;
}

type EntryType = "File" | "Directory" | "SymbolicLink" | "Link" | "FIFO" | "CharacterDevice" | "BlockDevice";

const ZERO = Buffer.alloc(1024);

/**
 * Writes a tar file with positional writes, so a member whose size is not known up front
 * (a layer being decompressed on the fly) can be streamed and its header patched afterwards:
 * one pass, nothing held in memory, and the result is a plain ustar/pax tar any tool reads.
 */
export class TarFileWriter {
  private pos = 0;
  private constructor(private readonly fh: fs.FileHandle) {}

  static async create(file: string): Promise<TarFileWriter> {
    return new TarFileWriter(await fs.open(file, "wx", 0o600));
  }

  get bytesWritten(): number {
    return this.pos;
  }

  private async put(buf: Buffer): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off, this.pos + off);
      off += bytesWritten;
    }
    this.pos += buf.length;
  }

  /** Header block(s) for an entry: a pax header first when a field does not fit ustar (long paths). */
  private headerBlocks(name: string, type: EntryType, size: number, o: TarEntryOptions & { linkpath?: string; devmaj?: number; devmin?: number }): Buffer {
    const fields = {
      path: name,
      type,
      size,
      mode: o.mode ?? (type === "Directory" ? 0o755 : 0o644),
      uid: o.uid ?? 0,
      gid: o.gid ?? 0,
      mtime: o.mtime ?? new Date(0),
      uname: o.uname ?? "",
      gname: o.gname ?? "",
      linkpath: o.linkpath ?? "",
      devmaj: o.devmaj ?? 0,
      devmin: o.devmin ?? 0,
    };
    const block = Buffer.alloc(512);
    const h = new Header(fields);
    const needPax = h.encode(block, 0);
    if (!needPax) return block;
    // Only the fields that may not fit; never size (base-256 covers it), so the pax block
    // stays valid when the header is patched with the final size.
    const pax = new Pax({ path: name, ...(o.linkpath ? { linkpath: o.linkpath } : {}), uid: fields.uid, gid: fields.gid, uname: fields.uname, gname: fields.gname });
    return Buffer.concat([pax.encode(), block]);
  }

  private async pad(size: number): Promise<void> {
    const rem = size % 512;
    if (rem) await this.put(ZERO.subarray(0, 512 - rem));
  }

  async addDirectory(name: string, o: TarEntryOptions = {}): Promise<void> {
    await this.put(this.headerBlocks(name.endsWith("/") ? name : `${name}/`, "Directory", 0, o));
  }

  async addBuffer(name: string, data: Buffer | string, o: TarEntryOptions = {}): Promise<void> {
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    await this.put(this.headerBlocks(name, "File", buf.length, o));
    await this.put(buf);
    await this.pad(buf.length);
  }

  async addLink(name: string, type: "SymbolicLink" | "Link", linkpath: string, o: TarEntryOptions = {}): Promise<void> {
    await this.put(this.headerBlocks(name, type, 0, { ...o, linkpath, mode: o.mode ?? 0o777 }));
  }

  async addSpecial(name: string, type: "FIFO" | "CharacterDevice" | "BlockDevice", o: TarEntryOptions & { devmaj?: number; devmin?: number } = {}): Promise<void> {
    await this.put(this.headerBlocks(name, type, 0, o));
  }

  /**
   * Streams a member of unknown length: writes a provisional header, the data, then the real
   * header in place. `expectedSize`, when given, is checked (a file that changed while read).
   */
  async addStream(name: string, source: AsyncIterable<Buffer> | Readable, o: TarEntryOptions & { expectedSize?: number } = {}): Promise<number> {
    const provisional = this.headerBlocks(name, "File", o.expectedSize ?? 0, o);
    const headerAt = this.pos;
    await this.put(provisional);
    let size = 0;
    // Batched into 1 MiB writes: a positional write per small chunk costs more than the copy.
    let batch: Buffer[] = [];
    let batched = 0;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      batch.push(chunk);
      batched += chunk.length;
      size += chunk.length;
      if (batched >= 1 << 20) {
        await this.put(batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched));
        batch = [];
        batched = 0;
      }
    }
    if (batched) await this.put(Buffer.concat(batch, batched));
    if (o.expectedSize !== undefined && size !== o.expectedSize) {
      throw new Error(`"${name}" changed while being archived: ${size} bytes instead of ${o.expectedSize}`);
    }
    if (o.expectedSize === undefined) {
      const final = this.headerBlocks(name, "File", size, o);
      if (final.length !== provisional.length) throw new Error(`tar header of "${name}" changed length`);
      const end = this.pos;
      this.pos = headerAt;
      await this.put(final);
      this.pos = end;
    }
    await this.pad(size);
    return size;
  }

  /** End-of-archive marker, then fsync and close. */
  async finish(): Promise<number> {
    await this.put(ZERO);
    await this.fh.sync();
    await this.fh.close();
    return this.pos;
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
