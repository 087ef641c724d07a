import fs from "node:fs";
import path from "node:path";
import { PassThrough, type Readable } from "node:stream";
import * as ignoreNs from "ignore";
import { CliError } from "./errors.js";
import { smallContextTar } from "./small-context.js";

type IgnoreFactory = () => { add(patterns: string[]): { ignores(p: string): boolean } };
const ignore = ((ignoreNs as unknown as { default?: unknown }).default ?? ignoreNs) as IgnoreFactory;

/** Longest .dockerignore read (the server's bound too). */
const DOCKERIGNORE_MAX = 1 << 20;

/**
 * The context's .dockerignore, read only when it is a regular file of at most 1 MiB: a link to
 * /dev/zero or a FIFO would otherwise be read forever. Opened without blocking (a FIFO).
 */
function readDockerignore(dir: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, ".dockerignore"), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError("USAGE", `unable to read ${path.join(dir, ".dockerignore")}: ${(e as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new CliError("USAGE", `${path.join(dir, ".dockerignore")} is not a regular file: make it one`);
    if (st.size > DOCKERIGNORE_MAX) throw new CliError("USAGE", `${path.join(dir, ".dockerignore")} is larger than 1 MiB`);
    return fs.readFileSync(fd, "utf8");
  } finally {
    fs.closeSync(fd);
  }
}

/** The paths of `dir` to send, .dockerignore applied (gitignore syntax, `!` re-includes); `keep` always goes. */
export function contextFiles(dir: string, keep: string[] = []): string[] {
  let ig: { ignores(p: string): boolean } | undefined;
  const text = readDockerignore(dir);
  if (text !== undefined) {
    const lines = text
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.replace(/^\/+/, "").replace(/^(!)\/+/, "$1"));
    ig = ignore().add(lines);
  }
  const always = new Set([...keep, ".dockerignore"]);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const isDir = e.isDirectory();
      const ignored = !always.has(r) && !!ig?.ignores(isDir ? `${r}/` : r);
      if (isDir) {
        if (!ignored) out.push(r);
        walk(r); // a `!` pattern may re-include something inside
      } else if (!ignored) out.push(r);
    }
  };
  walk("");
  return out;
}

/**
 * The context as a tar (entries in sorted order, directories not recursed: the list is
 * complete): packed in memory when it is small, else streamed by node-tar.
 */
export async function contextStream(dir: string, keep: string[] = []): Promise<Readable> {
  const files = contextFiles(dir, keep);
  const out = new PassThrough();
  if (files.length === 0) {
    out.end(Buffer.alloc(1024));
    return out;
  }
  const small = smallContextTar(dir, files);
  if (small) {
    out.end(small);
    return out;
  }
  // Only tar's create side (the package's index also loads extract, list and update), and only here.
  const { create: tarCreate } = await import("tar/create");
  const packer = tarCreate({ cwd: dir, noDirRecurse: true, portable: true }, files) as unknown as Readable;
  packer.on("error", (e: Error) => out.destroy(e));
  return packer.pipe(out);
}
