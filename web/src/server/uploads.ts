import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { config, homePaths, InvalidArgument, storageErrorOf } from "@berth/core";

/** Where request bodies wait for the worker (one host: web and worker share BERTH_HOME). */
export const uploadsDir = () => homePaths(config().home).builds;

/**
 * Streams a request body to `builds/<uuid>.tar` (never in memory); returns the file's name (what a
 * job payload carries) and path. A body cut short leaves no file and is the caller's error, naming `what`.
 */
export function receiveUpload(req: IncomingMessage, what: string): Promise<{ name: string; file: string }> {
  return toFile(req, what);
}

/**
 * Like receiveUpload, but a body of at most `inlineMax` bytes stays in memory and comes back as
 * a Buffer; a larger one spills to `builds/<uuid>.tar` (what was buffered first, then the rest).
 */
export async function receiveSmallUpload(req: AsyncIterable<Buffer>, what: string, inlineMax: number): Promise<{ inline: Buffer } | { name: string; file: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return { inline: Buffer.concat(chunks, size) };
      chunks.push(r.value);
      size += r.value.length;
      if (size > inlineMax) break;
    }
  } catch (err) {
    throw cutShort(what, err);
  }
  const rest = { [Symbol.asyncIterator]: () => it };
  return toFile(
    (async function* () {
      yield* chunks;
      yield* rest;
    })(),
    what,
  );
}

/** What an upload is called while it arrives: only a complete one gets its `.tar` name (and a job). */
const PARTIAL = ".tar.part";

async function toFile(body: AsyncIterable<Buffer>, what: string): Promise<{ name: string; file: string }> {
  const dir = uploadsDir();
  await fs.mkdir(dir, { recursive: true });
  const id = randomUUID();
  const name = `${id}.tar`;
  const file = path.join(dir, name);
  const partial = path.join(dir, `${id}${PARTIAL}`);
  try {
    await pipeline(body, createWriteStream(partial, { flags: "wx", mode: 0o600 }));
    await fs.rename(partial, file);
  } catch (err) {
    await fs.rm(partial, { force: true });
    throw cutShort(what, err);
  }
  return { name, file };
}

/**
 * Start-up: uploads a previous web process was still receiving when it died (a crash, kill -9).
 * No job can hold one (a job is queued only after its upload completed), so all of them go now,
 * not when a worker's day-old sweep comes by. Returns how many were removed.
 */
export async function removePartialUploads(dir = uploadsDir()): Promise<number> {
  const names = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [] as string[];
    throw e;
  });
  const partial = names.filter((n) => /^[0-9a-f-]{36}\.tar\.part$/.test(n));
  await Promise.all(partial.map((n) => fs.rm(path.join(dir, n), { force: true })));
  return partial.length;
}

/** A full disk is said as such (the client can free space), not as the client's fault. */
const cutShort = (what: string, err: unknown) => storageErrorOf(err) ?? new InvalidArgument(`${what} did not complete: ${(err as Error).message}`, { cause: err });
