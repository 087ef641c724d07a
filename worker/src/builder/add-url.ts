/**
 * `ADD <url> <dest>`: the builder (in the worker, on the host's network) downloads the file;
 * the RUN containers could not reach what the host reaches. As Docker: the file gets mode 0600
 * and the mtime of the Last-Modified header, keeps its name from the URL's last path segment, and
 * is never extracted even when it is an archive.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { FailedPrecondition, InvalidArgument } from "@berth/core";

export const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

export interface Downloaded {
  /** Directory holding the one downloaded file. */
  dir: string;
  /** The file's name in `dir` (from the URL's path). */
  name: string;
  /** The URL's path ends in a file name (else DEST must name the file). */
  named: boolean;
  /** What the step's cache key takes: the URL, the validators the server sent and the content's sha256. */
  key: string;
}

/** Downloads `url` into a fresh directory under `into`; `where` names the Dockerfile line for errors. */
export async function downloadForAdd(url: string, into: string, where: string): Promise<Downloaded> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgument(`${where}: ADD: invalid URL "${url}"`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new InvalidArgument(`${where}: ADD: unsupported URL scheme "${u.protocol}" (http and https are)`);
  let last = u.pathname.split("/").pop() ?? "";
  try {
    last = decodeURIComponent(last);
  } catch {
    /* keep it encoded */
  }
  const named = last !== "" && last !== "." && last !== ".." && !last.includes("/") && !last.includes("\0");
  const name = named ? last : "download";
  let res: Response;
  try {
    res = await fetch(u, { redirect: "follow", signal: AbortSignal.timeout(30 * 60_000) });
  } catch (e) {
    throw new FailedPrecondition(`${where}: ADD: GET ${url}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`, { cause: e });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new FailedPrecondition(`${where}: ADD: GET ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  await fs.mkdir(into, { recursive: true });
  const dir = await fs.mkdtemp(path.join(into, "add-url-"));
  const file = path.join(dir, name);
  const hash = createHash("sha256");
  await pipeline(
    Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>),
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    }),
    createWriteStream(file, { flags: "wx", mode: 0o600 }),
  );
  await fs.chmod(file, 0o600);
  const lastModified = res.headers.get("last-modified");
  const mtime = lastModified ? new Date(lastModified) : undefined;
  if (mtime && !Number.isNaN(mtime.getTime())) await fs.utimes(file, mtime, mtime);
  const key = JSON.stringify([url, res.headers.get("etag") ?? "", lastModified ?? "", `sha256:${hash.digest("hex")}`]);
  return { dir, name, named, key };
}
