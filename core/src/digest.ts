import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
/** The algorithms the content store keeps: sha256 (canonical) and sha512 (what OCI also registers). */
export const STORED_DIGEST_RE = /^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
export type DigestAlgorithm = "sha256" | "sha512";
export const sha256 = (data: string | Uint8Array) => `sha256:${createHash("sha256").update(data).digest("hex")}`;
/** The digest of `data` with `algorithm`, as `<algorithm>:<hex>`. */
export const digestOf = (data: string | Uint8Array, algorithm: DigestAlgorithm = "sha256") => `${algorithm}:${createHash(algorithm).update(data).digest("hex")}`;
/** The algorithm of a stored digest (sha256 unless it says sha512). */
export const digestAlgorithm = (digest: string): DigestAlgorithm => (digest.startsWith("sha512:") ? "sha512" : "sha256");
export const digestHex = (digest: string) => digest.slice(digest.indexOf(":") + 1);
/** The digest of a file's bytes with `algorithm`, as `<algorithm>:<hex>` (streamed: any size). */
export async function digestOfFile(file: string, algorithm: DigestAlgorithm = "sha256"): Promise<string> {
  const h = createHash(algorithm);
  await pipeline(createReadStream(file), h);
  return `${algorithm}:${h.digest("hex")}`;
}

/** OCI chain id: chain(n) = sha256(chain(n-1) + " " + diff_id(n)); chain(0) = diff_id(0). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : sha256(`${prev} ${d}`));
  }
  return out;
}

/** A pass-through that hashes (and counts) what flows through it; result() once it has finished. */
export function hashingStream(): { stream: Transform; result(): { digest: string; size: number } } {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  let result: { digest: string; size: number } | undefined;
  return { stream, result: () => (result ??= { digest: `sha256:${hash.digest("hex")}`, size }) };
}
