import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { FailedPrecondition, hashingStream as hashing, InvalidArgument, MediaType } from "@berth/core";
import type { BlobWriter, Ingest } from "@berth/core/content";
import type { LayerBlob } from "./layer.js";
import type { EntrySink } from "./layer-check.js";

export type Compression = "gzip" | "zstd" | "none";

/** A layer written to the content store's ingest area, verified, waiting for `commit()`. */
export interface PendingLayer extends LayerBlob {
  /** sha256 of the bytes as they came (compressed or not). */
  sourceDigest: string;
  compression: Compression;
  /** Makes the blob visible (atomic rename). */
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return "zstd";
  return "none";
}

/** Passes chunks on unchanged while also writing them to `side`; finishes only when `side` has. */
function teeTo(side: Writable, sideDone: Promise<void>): Transform {
  let sideError: Error | undefined;
  const t: Transform = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (sideError) return cb(sideError);
      if (side.write(chunk)) cb(null, chunk);
      else side.once("drain", () => cb(sideError ?? null, chunk));
    },
    flush(cb) {
      side.end();
      sideDone.then(() => cb(), cb);
    },
  });
  sideDone.catch((e: Error) => {
    sideError = e;
    t.destroy(e);
  });
  return t;
}

/** Reads the first bytes of a stream and gives back a stream with them still in front. */
export async function peek(source: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let got = 0;
  let done = false;
  while (got < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    chunks.push(r.value);
    got += r.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest() {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, stream: Readable.from(rest(), { objectMode: false }) };
}

/** A writable that parses a tar stream and shows each entry to the checker (bodies are skipped). */
function tarChecker(checker: EntrySink | undefined, label: string): Writable {
  const parser = new Parser();
  let failure: Error | undefined;
  let waiting: (() => void) | undefined;
  // An empty layer is just the end-of-archive zero blocks, which node-tar calls "not a tar".
  let zeros = 0;
  let onlyZeros = true;
  const fail = (e: unknown) => {
    failure ??= e instanceof InvalidArgument ? e : new InvalidArgument(`${label} is not a valid tar: ${(e as Error).message ?? String(e)}`);
    waiting?.();
  };
  parser.on("entry", (entry: ReadEntry) => {
    if (!failure) {
      try {
        checker?.entry(entry.path, entry.type, entry.linkpath);
      } catch (e) {
        fail(e instanceof InvalidArgument ? new InvalidArgument(`${label}: ${e.message}`) : e);
      }
    }
    entry.resume();
  });
  parser.on("warn", (code: string, message: string) => {
    if (code === "TAR_BAD_ARCHIVE" && onlyZeros && zeros >= 1024) return;
    fail(new Error(`${code}: ${message}`));
  });
  parser.on("error", fail);
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (failure) return cb(failure);
      if (onlyZeros) {
        onlyZeros = chunk.every((b) => b === 0);
        zeros += chunk.length;
      }
      if (parser.write(chunk)) return cb(failure);
      waiting = () => {
        waiting = undefined;
        cb(failure);
      };
      parser.once("drain", () => waiting?.());
    },
    final(cb) {
      if (failure) return cb(failure);
      waiting = () => {
        waiting = undefined;
        cb(failure);
      };
      parser.once("finish", () => waiting?.());
      parser.end();
    },
  });
}

export interface IngestLayerOptions {
  /** sha256 the incoming bytes must have (an OCI descriptor's digest). */
  expectedDigest?: string;
  /** sha256 the uncompressed tar must have (the config's rootfs.diff_ids entry). */
  expectedDiffId?: string;
  checker?: EntrySink;
  /** For messages: "layer 2 of busybox:latest". */
  label: string;
}

/**
 * Streams one layer into the content store in a single pass, byte for byte as it came: a gzip
 * layer keeps the registry's digest, a plain tar (docker-archive, `import`) stays plain as
 * Berth's own layers are (compressed when pushed).
 * The uncompressed bytes are hashed (diff_id) and their entries checked for tar-slip as
 * they pass. The blob is left uncommitted: the caller commits every layer of an archive
 * only once all of them verified, so a refused archive leaves no blob behind.
 */
export async function ingestLayer(source: Readable, blobs: BlobWriter, o: IngestLayerOptions): Promise<PendingLayer> {
  const { head, stream } = await peek(source, 4);
  const compression = sniffCompression(head);
  if (compression === "zstd") throw new FailedPrecondition(`${o.label} is zstd-compressed, which this version cannot read yet`);
  const raw = hashing();
  const diff = hashing();
  const ingest: Ingest = await blobs.ingest(undefined, { offThreadHash: true });
  try {
    if (compression === "gzip") {
      const gunzip = createGunzip({ chunkSize: 1 << 20 });
      const sideDone = pipeline(gunzip, diff.stream, tarChecker(o.checker, o.label));
      await pipeline(stream, raw.stream, teeTo(gunzip, sideDone), ingest.stream);
    } else {
      const sink = tarChecker(o.checker, o.label);
      const sideDone = new Promise<void>((resolve, reject) => {
        sink.once("finish", resolve).once("error", reject);
      });
      // Plain tar: the bytes as they came are the diff, hashed once and stored as they are.
      await pipeline(stream, diff.stream, teeTo(sink, sideDone), ingest.stream);
    }
  } catch (e) {
    await ingest.abort();
    source.destroy();
    if (e instanceof Error && (e as { code?: string }).code === "Z_DATA_ERROR") throw new InvalidArgument(`${o.label} is not valid gzip: ${e.message}`);
    throw e;
  }
  const d = diff.result();
  const r = compression === "gzip" ? raw.result() : d;
  const stored = r;
  const fail = async (msg: string) => {
    await ingest.abort();
    return new InvalidArgument(msg);
  };
  if (o.expectedDigest && r.digest !== o.expectedDigest) throw await fail(`${o.label}: digest mismatch: expected ${o.expectedDigest}, got ${r.digest}`);
  if (o.expectedDiffId && d.digest !== o.expectedDiffId) throw await fail(`${o.label}: diff_id mismatch: the image config says ${o.expectedDiffId}, the layer is ${d.digest}`);
  return {
    descriptor: { mediaType: compression === "gzip" ? MediaType.layerGzip : MediaType.layerTar, digest: stored.digest, size: stored.size },
    diffId: d.digest,
    tarSize: d.size,
    sourceDigest: r.digest,
    compression,
    async commit() {
      const c = await ingest.commit();
      if (c.digest !== stored.digest) throw new Error(`layer blob changed while stored: ${c.digest} vs ${stored.digest}`);
    },
    abort: () => ingest.abort(),
  };
}
