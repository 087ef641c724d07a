import { mkdirSync, readFileSync, rmSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import * as ignoreNs from "ignore";
import * as tar from "tar";
import { InvalidArgument } from "@berth/core";
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
 * paths and `..`), reads the Dockerfile, then removes what .dockerignore excludes (the CLI
 * already left it out; this holds for any client).
 */
export async function prepareContext(archive: string | Buffer, dir: string, dockerfilePath: string): Promise<{ dockerfile: string }> {
  if (typeof archive === "string") {
    await fs.mkdir(dir, { recursive: true });
    await tar.x({ file: archive, cwd: dir, preserveOwner: false, strict: true });
  } else unpackSmall(archive, dir);
  const rel = path.posix.normalize(dockerfilePath).replace(/^(\.\.\/)+/, "").replace(/^\/+/, "");
  // Two small files read at once: a thread-pool round trip each would cost more than the reads.
  let dockerfile: string;
  try {
    dockerfile = readFileSync(path.join(dir, rel), "utf8");
  } catch {
    throw new InvalidArgument(`the build context has no Dockerfile at "${dockerfilePath}"`);
  }
  let ignoreText: string | undefined;
  try {
    ignoreText = readFileSync(path.join(dir, ".dockerignore"), "utf8");
  } catch {
    // none
  }
  if (ignoreText !== undefined) {
    const ignored = dockerignore(ignoreText);
    const walk = async (relDir: string) => {
      for (const e of await fs.readdir(path.join(dir, relDir), { withFileTypes: true })) {
        const r = relDir ? `${relDir}/${e.name}` : e.name;
        const isDir = e.isDirectory();
        if (ignored(r, isDir)) {
          // A directory may still hold re-included (!) files: look inside before removing.
          if (isDir) await walk(r);
          else await fs.rm(path.join(dir, r), { force: true });
          continue;
        }
        if (isDir) await walk(r);
      }
    };
    await walk("");
  }
  return { dockerfile };
}

/**
 * A context that came inside its job (at most INLINE_CONTEXT_MAX bytes), unpacked in one
 * synchronous pass: by unpackPlain when it holds only what it handles, else by node-tar's
 * UnpackSync with the same checks as tar.x (strict: the first refused entry is the error).
 */
function unpackSmall(archive: Buffer, dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (unpackPlain(archive, dir)) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let first: Error | undefined;
  const u = new tar.UnpackSync({ cwd: dir, preserveOwner: false, strict: true });
  u.on("error", (e: Error) => {
    first ??= e;
  });
  u.end(archive);
  if (first) throw first;
}
