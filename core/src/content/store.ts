import { createHash, randomUUID } from "node:crypto";
import { accessSync, createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DIGEST_RE, digestAlgorithm, digestHex, STORED_DIGEST_RE } from "../digest.js";
import { InvalidArgument, NotFound } from "../errors.js";
import { ThreadHash } from "./hash-thread.js";

/** Up to this size, write() hashes first and keeps a blob already stored. */
const SMALL_BLOB = 1024 * 1024;

export interface BlobReader {
  has(digest: string): Promise<boolean>;
  open(digest: string): Readable;
  read(digest: string): Promise<Buffer>;
  size(digest: string): Promise<number>;
}

export interface Ingest {
  /** Stream the bytes here. */
  readonly stream: Writable;
  /** Verifies the digest (and the expected one if given), then makes the blob visible atomically. */
  commit(): Promise<{ digest: string; size: number }>;
  /** Drops the partial write. */
  abort(): Promise<void>;
}

export interface IngestOptions {
  /** A big stream (a layer): hash it on another thread, so hashing and disk writes overlap. */
  offThreadHash?: boolean;
}

export interface BlobWriter {
  ingest(expected?: string, opts?: IngestOptions): Promise<Ingest>;
  write(data: Uint8Array | string, expected?: string): Promise<{ digest: string; size: number }>;
}

/**
 * Content-addressed blobs under content/blobs/sha256/<hex> (and blobs/sha512/<hex> for the
 * rarer sha512 digests a registry client may push). Writes land in content/ingest/<uuid>
 * and are renamed into place only after the digest checks, so a crash leaves at worst an orphan
 * in ingest/ (removed by `gcIngest` at start-up), never a corrupt blob. Two writers of the same
 * blob both succeed: rename over an identical file is harmless.
 */
export class ContentStore implements BlobReader, BlobWriter {
  /** The sha256 blobs (nearly all of them). */
  readonly blobs: string;
  readonly blobs512: string;
  readonly ingestDir: string;
  /**
   * Resumable uploads (the registry's): they outlive a process on purpose, so start-up's
   * `gcIngest` leaves them alone; their owner expires abandoned ones. Same filesystem as
   * blobs/, so finishing one is an atomic rename.
   */
  readonly uploadsDir: string;

  constructor(contentRoot: string) {
    this.blobs = path.join(contentRoot, "blobs", "sha256");
    this.blobs512 = path.join(contentRoot, "blobs", "sha512");
    this.ingestDir = path.join(contentRoot, "ingest");
    this.uploadsDir = path.join(contentRoot, "uploads");
  }

  async init(): Promise<void> {
    await fs.mkdir(this.blobs, { recursive: true });
    await fs.mkdir(this.blobs512, { recursive: true });
    await fs.mkdir(this.ingestDir, { recursive: true });
    await fs.mkdir(this.uploadsDir, { recursive: true });
  }

  blobPath(digest: string): string {
    if (DIGEST_RE.test(digest)) return path.join(this.blobs, digest.slice(7));
    if (STORED_DIGEST_RE.test(digest)) return path.join(this.blobs512, digestHex(digest));
    throw new InvalidArgument(`invalid digest "${digest}": want sha256:<64 hex> or sha512:<128 hex>`);
  }

  async has(digest: string): Promise<boolean> {
    // One access(2) on a local file: done at once costs microseconds, a thread-pool round trip far more.
    try {
      accessSync(this.blobPath(digest));
      return true;
    } catch {
      return false;
    }
  }

  async size(digest: string): Promise<number> {
    try {
      return (await fs.stat(this.blobPath(digest))).size;
    } catch (e) {
      throw notFound(digest, e);
    }
  }

  open(digest: string): Readable {
    return createReadStream(this.blobPath(digest));
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.blobPath(digest));
    } catch (e) {
      throw notFound(digest, e);
    }
  }

  async ingest(expected?: string, opts: IngestOptions = {}): Promise<Ingest> {
    if (expected !== undefined && !STORED_DIGEST_RE.test(expected)) throw new InvalidArgument(`invalid digest "${expected}": want sha256:<64 hex> or sha512:<128 hex>`);
    // The algorithm is the expected digest's; sha256 when nothing is expected.
    const algorithm = expected === undefined ? "sha256" : digestAlgorithm(expected);
    const tmp = path.join(this.ingestDir, randomUUID());
    const file = createWriteStream(tmp, { flags: "wx", mode: 0o644 });
    const hash = opts.offThreadHash ? undefined : createHash(algorithm);
    const threadHash = opts.offThreadHash ? new ThreadHash(algorithm) : undefined;
    let size = 0;
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        hash?.update(chunk);
        const hashed = threadHash?.update(chunk);
        const written = file.write(chunk) ? undefined : new Promise<void>((resolve) => file.once("drain", resolve));
        if (!hashed && !written) return cb();
        Promise.all([hashed, written]).then(() => cb(), cb);
      },
      final(cb) {
        file.end(cb);
      },
      destroy(err, cb) {
        if (err) threadHash?.drop(); // (a finished stream is destroyed too: its digest is still to come)
        file.destroy();
        cb(err);
      },
    });
    // A write still in flight when the ingest is destroyed (a failed download) errors on the file:
    // pass it to the ingest stream (a no-op once destroyed) instead of crashing the process.
    file.on("error", (err) => {
      if (!stream.destroyed) stream.destroy(err);
    });
    const blobPath = (d: string) => this.blobPath(d);
    return {
      stream,
      async commit() {
        if (!stream.writableFinished) {
          await new Promise<void>((resolve, reject) => {
            stream.once("finish", resolve).once("error", reject);
            if (!stream.writableEnded) stream.end();
          });
        }
        const digest = `${algorithm}:${threadHash ? await threadHash.digest() : hash!.digest("hex")}`;
        if (expected !== undefined && digest !== expected) {
          await fs.rm(tmp, { force: true });
          throw new InvalidArgument(`digest mismatch: expected ${expected}, got ${digest} (${size} bytes)`);
        }
        const fh = await fs.open(tmp, "r");
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        await fs.rename(tmp, blobPath(digest));
        return { digest, size };
      },
      async abort() {
        threadHash?.drop();
        stream.destroy();
        // The file opens lazily: wait until it is open and closed again, or an rm that ran
        // first would leave the file it then creates behind in ingest/.
        if (!file.closed) await new Promise<void>((resolve) => file.once("close", () => resolve()));
        await fs.rm(tmp, { force: true });
      },
    };
  }

  async write(data: Uint8Array | string, expected?: string): Promise<{ digest: string; size: number }> {
    // A small blob already stored (a rebuilt image's config and manifest): no new file, no fsync.
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    if (bytes.length <= SMALL_BLOB) {
      const algorithm = expected === undefined ? "sha256" : digestAlgorithm(expected);
      const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
      if ((expected === undefined || expected === digest) && (await this.has(digest))) return { digest, size: bytes.length };
    }
    const ing = await this.ingest(expected);
    try {
      await pipeline(async function* () {
        yield bytes;
      }, ing.stream);
      return await ing.commit();
    } catch (e) {
      await ing.abort();
      throw e;
    }
  }

  /** Removes partial writes left by a crash. Call at start-up, before any ingest begins. */
  async gcIngest(): Promise<number> {
    const names = await fs.readdir(this.ingestDir).catch(() => [] as string[]);
    await Promise.all(names.map((n) => fs.rm(path.join(this.ingestDir, n), { force: true, recursive: true })));
    return names.length;
  }
}

function notFound(digest: string, cause: unknown) {
  return (cause as NodeJS.ErrnoException)?.code === "ENOENT" ? new NotFound(`blob ${digest}`, { cause }) : cause;
}
