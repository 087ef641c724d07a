import { InvalidArgument } from "@berth/core";

/**
 * What a build context may hold. A context is untrusted input unpacked on the worker's host:
 * each bound keeps one build from exhausting the host's memory, disk or time (a tree of
 * thousands of nested directories, a gzip bomb), and each error says how to get under it.
 */
export const CONTEXT_LIMITS = {
  /** Files, directories and links. */
  entries: 250_000,
  /** Path components of one entry (real projects stay far below; COPY's work grows with depth). */
  depth: 128,
  /** Bytes of file content, unpacked. */
  bytes: 8 * 1024 ** 3,
  /** Unpacked bytes per archive byte, checked once the unpacked side passes ratioFloor. */
  ratio: 100,
  ratioFloor: 64 * 1024 ** 2,
  /** The Dockerfile and .dockerignore are read whole: anything longer is not one. */
  textFile: 1024 ** 2,
} as const;

const HOW = "leave what the image does not need out with .dockerignore";

export class ContextLimitExceeded extends InvalidArgument {}

/** Counts a context's entries as they are unpacked; the first bound crossed is the error. */
export class ContextMeter {
  private entries = 0;
  private bytes = 0;

  /** `what` names the archive in errors ("the build context", "the ADD archive"). */
  constructor(private readonly what = "the build context") {}

  /** Checks one more entry of `size` bytes at `rel` (before it is written). */
  entry(rel: string, size: number): void {
    if (++this.entries > CONTEXT_LIMITS.entries) throw new ContextLimitExceeded(`${this.what} has more than ${CONTEXT_LIMITS.entries} entries: ${HOW}`);
    const depth = rel.split("/").filter((p) => p && p !== ".").length;
    if (depth > CONTEXT_LIMITS.depth) {
      throw new ContextLimitExceeded(`${this.what} nests directories more than ${CONTEXT_LIMITS.depth} deep (at "${rel.split("/").slice(0, 3).join("/")}/…"): ${HOW}`);
    }
    this.bytes += size;
    if (this.bytes > CONTEXT_LIMITS.bytes) throw new ContextLimitExceeded(`${this.what} holds more than ${CONTEXT_LIMITS.bytes / 1024 ** 3} GiB of files: ${HOW}`);
  }

  /** Checks the unpacked size against the archive's bytes read so far (a compressed archive that expands too far). */
  ratio(archiveBytes: number): void {
    if (this.bytes > CONTEXT_LIMITS.ratioFloor && this.bytes > CONTEXT_LIMITS.ratio * Math.max(archiveBytes, 1)) {
      throw new ContextLimitExceeded(`${this.what} expands more than ${CONTEXT_LIMITS.ratio} times its compressed size: send it uncompressed, or ${HOW}`);
    }
  }
}
