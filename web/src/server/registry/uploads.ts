/**
 * Blob uploads: the bytes go to content/uploads/<uuid>, appended chunk by chunk (resumable:
 * the DB row and the file survive a web restart), and become a blob only after the digest
 * checks, by a link into content/blobs (durability.ts). A partial or wrong upload is never visible.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { digestOfFile, UPLOAD_IDLE_TIMEOUT_DEFAULT_MS, type Logger } from "@berth/core";
import { ThreadHash, type ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import type { BlobDurability } from "./durability.js";
import { RegistryError } from "./errors.js";
import { bodyReceived } from "./young-gc.js";

export interface UploadRow {
  id: string;
  repository: string;
  size: number;
}

/** The most bytes an upload may hold, and the refusal past it (given the size it would have). */
export interface UploadLimit {
  max: number;
  error: (size: number) => Error;
}

/**
 * While a chunk streams in, its bytes are pushed to disk every this many bytes (fdatasync in the
 * background, one at a time), so the blob's fsync, which its manifest waits for, finds little
 * left to write instead of the whole layer: the disk works while the socket is read.
 */
const FLUSH_EVERY = 8 << 20;

/**
 * Socket chunks (64 KiB) are written to the upload's file this many bytes at a time: one write
 * on the thread pool per 64 KiB chunk cost the JS thread and the pool a round trip each.
 */
const WRITE_BATCH = 1 << 20;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;


export class Uploads {
  /**
   * Running sha256 per upload, valid while `offset` equals the file's size (else the file is
   * re-read). Hashed on core's hashing thread, so a big layer's hash overlaps its socket reads
   * and disk writes instead of taking turns with them on the JS thread.
   */
  private readonly hashes = new Map<string, { hash: ThreadHash; offset: number }>();
  /** One operation at a time per upload. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: PrismaClient,
    private readonly store: ContentStore,
    private readonly durability: BlobDurability,
    private readonly log: Logger,
  ) {}

  private file(id: string): string {
    return path.join(this.store.uploadsDir, id);
  }

  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.locks.set(id, tail);
    try {
      return await next;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  async start(repository: string, userId: string | null): Promise<UploadRow> {
    await fs.mkdir(this.store.uploadsDir, { recursive: true });
    const id = randomUUID();
    await (await fs.open(this.file(id), "wx", 0o644)).close();
    // Plain SQL (every blob of a push makes one): dates as Prisma writes them, so expire() compares like with like.
    const now = new Date();
    await this.db.$executeRaw`INSERT INTO "BlobUpload" ("id", "repository", "userId", "size", "createdAt", "updatedAt") VALUES (${id}, ${repository}, ${userId}, ${0n}, ${now}, ${now})`;
    this.hashes.set(id, { hash: new ThreadHash("sha256"), offset: 0 });
    return { id, repository, size: 0 };
  }

  /** The upload, if it exists for this repository (else BLOB_UPLOAD_UNKNOWN). Its size is the file's. */
  async get(id: string, repository: string): Promise<UploadRow> {
    if (!UUID_RE.test(id)) throw uploadUnknown(id);
    // Plain SQL: every PATCH and PUT of a push asks.
    const [row] = await this.db.$queryRaw<{ repository: string }[]>`SELECT "repository" FROM "BlobUpload" WHERE "id" = ${id}`;
    if (!row || row.repository !== repository) throw uploadUnknown(id);
    return { id, repository, size: await this.sizeOf(id) };
  }

  /**
   * The upload's current size, from its file. Under the upload's lock this is all a chunk needs
   * to check again: cancel and expiry take the same lock and remove the file with the row.
   */
  private async sizeOf(id: string): Promise<number> {
    try {
      return (await fs.stat(this.file(id))).size;
    } catch {
      // Its bytes are gone (expired, or removed by hand): the upload cannot go on.
      await this.db.blobUpload.deleteMany({ where: { id } });
      throw uploadUnknown(id);
    }
  }

  /**
   * Appends a chunk. `start` (from Content-Range) must equal the current size, else 416 with
   * the current Range so the client can resume. Returns the new size. `limit`: the most bytes
   * the upload may hold (a team's disk quota); past it the rest of the body is read and thrown
   * away, so the refusal reaches the client as an answer rather than a reset connection, and
   * the caller drops the upload.
   */
  append(up: UploadRow, body: Readable, start?: number, length?: number, limit?: UploadLimit): Promise<number> {
    return this.locked(up.id, async () => {
      const current = await this.sizeOf(up.id);
      if (start !== undefined && start !== current) {
        throw new RegistryError("BLOB_UPLOAD_INVALID", `chunk starts at ${start}, but the upload holds ${current} bytes: chunks must come in order`, {
          status: 416,
          headers: rangeHeaders(up.id, up.repository, current),
          detail: { uuid: up.id, size: current },
        });
      }
      let st = this.hashes.get(up.id);
      if (st && st.offset !== current) {
        this.forgetHash(up.id);
        st = undefined;
      }
      let written = 0;
      let over = 0;
      const fh = await fs.open(this.file(up.id), "r+");
      const flusher = new EarlyFlush(fh, this.file(up.id), this.log);
      // Chunks accepted but not yet in the file: written together once WRITE_BATCH bytes wait.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const writePending = async () => {
        if (pendingBytes === 0) return;
        const chunks = pending;
        const end = current + written;
        const at = end - pendingBytes;
        pending = [];
        pendingBytes = 0;
        await writeAll(fh, chunks, at);
        // Every byte up to here is in the file (not buffered): safe to flush.
        flusher.progress(end);
      };
      // One sink that counts, hashes and writes at the file's offset: a Transform in front of a
      // file WriteStream cost two streams' bookkeeping per 64 KiB socket chunk on the JS thread.
      const sink = new Writable({
        // A deep buffer: the socket keeps being read while earlier chunks are on their way to disk.
        highWaterMark: 4 << 20,
        writev(items: { chunk: Buffer }[], cb) {
          const waits: Promise<void>[] = [];
          for (const { chunk } of items) {
            if (over || (limit && current + written + chunk.length > limit.max)) {
              over += chunk.length;
              continue;
            }
            written += chunk.length;
            bodyReceived(chunk.length);
            pending.push(chunk);
            pendingBytes += chunk.length;
            const hashed = st?.hash.update(chunk);
            if (hashed) waits.push(hashed);
          }
          if (pendingBytes >= WRITE_BATCH) waits.push(writePending());
          if (waits.length === 0) return cb();
          Promise.all(waits).then(() => cb(), cb);
        },
        final(cb) {
          writePending().then(() => cb(), cb);
        },
      });
      try {
        await pipeline(body, sink);
      } catch (e) {
        // Whatever reached the file stays (a later PATCH resumes after it), but the running hash may not match it.
        this.forgetHash(up.id);
        throw e;
      } finally {
        // The chunk's answer does not wait for a head-start flush still running: it closes the file after.
        await flusher.close();
      }
      if (over) {
        this.hashes.delete(up.id);
        throw limit!.error(current + written + over);
      }
      if (st) st.offset = current + written;
      const size = current + written;
      if (length !== undefined && written !== length) {
        this.forgetHash(up.id);
        await fs.truncate(this.file(up.id), current);
        throw new RegistryError("SIZE_INVALID", `chunk of ${written} bytes, but ${length} were announced`, { detail: { uuid: up.id } });
      }
      // No row update per chunk: the file's size is the upload's, and its mtime says it is alive (see expire).
      return size;
    });
  }

  /**
   * Verifies the bytes against `digest` and moves them into the content store (their fsync runs
   * in the background: BlobDurability). On a mismatch the upload is dropped (DIGEST_INVALID) and
   * nothing is stored.
   */
  finish(up: UploadRow, digest: string): Promise<{ digest: string; size: number }> {
    return this.locked(up.id, async () => {
      const size = await this.sizeOf(up.id);
      const file = this.file(up.id);
      const st = this.hashes.get(up.id);
      // The running hash is sha256 (nearly every push); a sha512 upload is hashed again from its file.
      const algorithm = digest.startsWith("sha512:") ? "sha512" : "sha256";
      let actual: string;
      if (algorithm === "sha256" && st && st.offset === size) {
        this.hashes.delete(up.id);
        actual = `sha256:${await st.hash.digest()}`;
      } else {
        this.forgetHash(up.id);
        actual = await digestOfFile(file, algorithm);
      }
      if (actual !== digest) {
        await this.drop(up.id);
        throw new RegistryError("DIGEST_INVALID", `digest mismatch: expected ${digest}, the upload's ${size} bytes are ${actual}`, { detail: { expected: digest, actual } });
      }
      // Visible now, on disk soon: the manifest that names it waits for that (durability.ts).
      await this.durability.publish(file, digest);
      await this.deleteRow(up.id);
      return { digest, size };
    });
  }

  cancel(up: UploadRow): Promise<void> {
    return this.locked(up.id, () => this.drop(up.id));
  }

  /** Drops an upload's running hash (its state on the hashing thread too). */
  private forgetHash(id: string): void {
    this.hashes.get(id)?.hash.drop();
    this.hashes.delete(id);
  }

  private async drop(id: string): Promise<void> {
    this.forgetHash(id);
    await fs.rm(this.file(id), { force: true });
    await this.deleteRow(id);
  }

  /** Plain SQL: every finished blob of a push removes its row. */
  private async deleteRow(id: string): Promise<void> {
    await this.db.$executeRaw`DELETE FROM "BlobUpload" WHERE "id" = ${id}`;
  }

  /**
   * Removes uploads idle for longer than `idleMs`: no request on them now, no row update and no
   * byte written since. Also bytes with no row (web died between creating the file and its row).
   */
  async expire(idleMs = UPLOAD_IDLE_TIMEOUT_DEFAULT_MS): Promise<number> {
    const cutoff = () => Date.now() - idleMs;
    const idle = async (id: string): Promise<boolean> => {
      const st = await fs.stat(this.file(id)).catch(() => undefined);
      return !st || st.mtimeMs < cutoff();
    };
    let removed = 0;
    const stale = await this.db.blobUpload.findMany({ where: { updatedAt: { lt: new Date(cutoff()) } }, select: { id: true } });
    for (const { id } of stale) {
      if (this.locks.has(id)) continue; // a PATCH or PUT is streaming into it right now
      const dropped = await this.locked(id, async () => {
        const row = await this.db.blobUpload.findUnique({ where: { id }, select: { updatedAt: true } });
        if (!row || row.updatedAt.getTime() >= cutoff() || !(await idle(id))) return false;
        await this.drop(id);
        return true;
      });
      if (dropped) removed++;
    }
    const names = await fs.readdir(this.store.uploadsDir).catch(() => [] as string[]);
    for (const id of names) {
      if (!UUID_RE.test(id) || this.locks.has(id) || !(await idle(id))) continue;
      if (await this.db.blobUpload.findUnique({ where: { id }, select: { id: true } })) continue;
      await fs.rm(this.file(id), { force: true });
      removed++;
    }
    if (removed) this.log.info({ count: removed }, "removed abandoned registry uploads");
    return removed;
  }
}

/**
 * Background fdatasync of a file being written, at most one at a time, each after another
 * FLUSH_EVERY bytes. Only a head start for the blob's fsync (durability.ts), which a manifest
 * waits for; a failure here is left for that fsync to report.
 */
class EarlyFlush {
  private flushedAt = 0;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly fh: fs.FileHandle,
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  progress(bytesWritten: number): void {
    if (this.running || bytesWritten - this.flushedAt < FLUSH_EVERY) return;
    this.flushedAt = bytesWritten;
    this.running = this.fh
      .datasync()
      .catch(() => {})
      .finally(() => (this.running = undefined));
  }

  /** Closes the file once the flush under way, if any, is done; waits only when none is. */
  async close(): Promise<void> {
    const running = this.running;
    if (!running) return this.fh.close();
    void running.finally(() =>
      this.fh.close().catch((err: unknown) => this.log.warn({ err, file: this.file }, "registry: closing an upload's file after its background flush failed")),
    );
  }
}

/** Writes `chunks` at `position`, going on after a short write (rare on a local file, but allowed). */
async function writeAll(fh: fs.FileHandle, chunks: Buffer[], position: number): Promise<void> {
  let rest = chunks;
  while (rest.length) {
    const { bytesWritten } = await fh.writev(rest, position);
    position += bytesWritten;
    let n = bytesWritten;
    while (rest.length && n >= rest[0]!.length) {
      n -= rest[0]!.length;
      rest = rest.slice(1);
    }
    if (n > 0) rest = [rest[0]!.subarray(n), ...rest.slice(1)];
  }
}

const uploadUnknown = (id: string) => new RegistryError("BLOB_UPLOAD_UNKNOWN", undefined, { detail: { uuid: id } });

export function uploadLocation(repository: string, id: string): string {
  return `/v2/${repository}/blobs/uploads/${id}`;
}

/** Location, Range (inclusive, "0-<size-1>"; "0-0" when empty) and Docker-Upload-UUID for an upload. */
export function rangeHeaders(id: string, repository: string, size: number): Record<string, string> {
  return {
    location: uploadLocation(repository, id),
    range: `0-${Math.max(0, size - 1)}`,
    "docker-upload-uuid": id,
  };
}

/** `Content-Range: <start>-<end>` of a PATCH (with or without the "bytes " prefix). */
export function parseContentRange(header: string | undefined): { start: number; end: number } | undefined | "invalid" {
  if (!header) return undefined;
  const m = /^\s*(?:bytes\s+)?(\d+)-(\d+)(?:\/(?:\d+|\*))?\s*$/i.exec(header);
  if (!m) return "invalid";
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) return "invalid";
  return { start, end };
}
