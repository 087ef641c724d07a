import { createReadStream, mkdirSync, rmSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import * as ignoreNs from "ignore";
import * as tar from "tar";
import { readContextFile, readDockerfile } from "./context-file.js";
import { ContextMeter } from "./limits.js";
import { unpackPlain } from "./plain-unpack.js";

type IgnoreFactory = () => { add(patterns: string[]): { ignores(p: string): boolean } };
// CommonJS module.exports = factory: under ESM it is the namespace's default.
const ignore = ((ignoreNs as unknown as { default?: unknown }).default ?? ignoreNs) as IgnoreFactory;

/** A .dockerignore matcher (gitignore syntax, as Docker's; `!` re-includes). */
export function dockerignore(text: string): (rel: string, isDir: boolean) => boolean {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.replace(/^\/+/, "").replace(/^(!)\/+/, "$1"));
  const ig = ignore().add(lines);
  return (rel, isDir) => ig.ignores(isDir ? `${rel}/` : rel);
}

/**
 * Unpacks the build context tar (as the CLI sent it) into `dir` (node-tar refuses absolute
 * paths and `..`), within CONTEXT_LIMITS, reads the Dockerfile inside it (readContextFile),
 * then removes what .dockerignore excludes (the CLI already left it out; this holds for any
 * client). Runs in the context process (context-process.ts), never in the worker itself.
 */
export async function prepareContext(archive: string | Buffer, dir: string, dockerfilePath: string): Promise<{ dockerfile: string }> {
  if (typeof archive === "string") await unpackFile(archive, dir);
  else unpackSmall(archive, dir);
  const rel = path.posix.normalize(dockerfilePath).replace(/^(\.\.\/)+/, "").replace(/^\/+/, "");
  const dockerfile = readDockerfile(dir, rel, dockerfilePath);
  const ignoreText = readContextFile(dir, ".dockerignore", ".dockerignore");
  if (ignoreText !== undefined) await removeIgnored(dir, dockerignore(ignoreText));
  return { dockerfile };
}

/** Removes the files .dockerignore excludes; one directory at a time (no recursion: a context may nest deep). */
async function removeIgnored(dir: string, ignored: (rel: string, isDir: boolean) => boolean): Promise<void> {
  const pending = [""];
  for (let relDir = pending.pop(); relDir !== undefined; relDir = pending.pop()) {
    for (const e of await fs.readdir(path.join(dir, relDir), { withFileTypes: true })) {
      const r = relDir ? `${relDir}/${e.name}` : e.name;
      const isDir = e.isDirectory();
      // A directory may still hold re-included (!) files: look inside it either way.
      if (isDir) pending.push(r);
      else if (ignored(r, false)) await fs.rm(path.join(dir, r), { force: true });
    }
  }
}

/**
 * ADD's local archive, extracted into `dir` (a real directory of the step's root) within the same
 * limits as a context, owners kept; node-tar refuses to write through a symlink below `dir`.
 */
export function extractArchive(archive: string, dir: string): Promise<void> {
  return unpackFile(archive, dir, true);
}

/** A context uploaded as a file: streamed through node-tar, each entry metered before it is written. */
async function unpackFile(archive: string, dir: string, preserveOwner = false): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const meter = new ContextMeter(preserveOwner ? "the ADD archive" : "the build context");
  await new Promise<void>((resolve, reject) => {
    let failed: Error | undefined;
    let read = 0;
    const src = createReadStream(archive);
    const fail = (e: Error) => {
      if (failed) return;
      failed = e;
      // Stop reading; node-tar ignores whatever it still holds (the caller removes what it wrote).
      src.unpipe(u);
      src.destroy();
      u.abort(e);
      reject(e);
    };
    const u = new tar.Unpack({
      cwd: dir,
      preserveOwner,
      // A context must unpack whole; an archive ADD extracts skips what node-tar refuses, as before.
      strict: !preserveOwner,
      filter: (p, e) => {
        if (failed) return false;
        try {
          meter.entry(p, "size" in e ? e.size : 0);
          meter.ratio(read);
          return true;
        } catch (err) {
          fail(err as Error);
          return false;
        }
      },
    });
    src.on("data", (c) => (read += c.length));
    src.on("error", fail);
    u.on("error", fail);
    u.on("close", () => (failed ? reject(failed) : resolve()));
    src.pipe(u);
  });
}

/**
 * A context that came inside its job (at most INLINE_CONTEXT_MAX bytes), unpacked in one
 * synchronous pass: by unpackPlain when it holds only what it handles, else by node-tar's
 * UnpackSync with the same checks as tar.x (strict: the first refused entry is the error).
 */
function unpackSmall(archive: Buffer, dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (unpackPlain(archive, dir, new ContextMeter())) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let first: Error | undefined;
  const meter = new ContextMeter();
  const u = new tar.UnpackSync({
    cwd: dir,
    preserveOwner: false,
    strict: true,
    filter: (p, e) => {
      if (first) return false;
      try {
        meter.entry(p, "size" in e ? e.size : 0);
        return true;
      } catch (err) {
        first = err as Error;
        return false;
      }
    },
  });
  u.on("error", (e: Error) => {
    first ??= e;
  });
  u.end(archive);
  if (first) throw first;
}
