import { closeSync, constants, fstatSync, readSync } from "node:fs";
import { InvalidArgument } from "@berth/core";
import { openInRoot } from "@berth/native";
import { CONTEXT_LIMITS } from "./limits.js";

/**
 * Reads a small text file of the unpacked context (the Dockerfile, .dockerignore) as the build
 * may: resolved by the kernel inside the context (a symlink to /etc/… or to a host key file
 * reaches the context's own /etc, not the host's), opened without blocking (a FIFO cannot hang
 * the reader), and only when it is a regular file of at most CONTEXT_LIMITS.textFile bytes (a
 * link to /dev/zero is not one). Answers undefined when there is no such file.
 */
export function readContextFile(contextDir: string, rel: string, what: string): string | undefined {
  let fd: number;
  try {
    fd = openInRoot(contextDir, rel, (constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY) >>> 0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    if (code === "ELOOP") throw new InvalidArgument(`the ${what} "${rel}" is a symbolic link loop`);
    throw new InvalidArgument(`the ${what} "${rel}" could not be opened (${code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InvalidArgument(`the ${what} "${rel}" is not a regular file (it is ${kindOf(st)}): make it one, inside the build context`);
    if (st.size > CONTEXT_LIMITS.textFile) throw new InvalidArgument(`the ${what} "${rel}" is larger than ${CONTEXT_LIMITS.textFile / 1024 ** 2} MiB`);
    // One byte more than the limit: a file that grew since the fstat is still refused.
    const buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
    if (n > CONTEXT_LIMITS.textFile) throw new InvalidArgument(`the ${what} "${rel}" is larger than ${CONTEXT_LIMITS.textFile / 1024 ** 2} MiB`);
    return buf.toString("utf8", 0, n);
  } finally {
    closeSync(fd);
  }
}

/** The Dockerfile, or an error naming the path the client gave. */
export function readDockerfile(contextDir: string, rel: string, asGiven: string): string {
  const text = readContextFile(contextDir, rel, "Dockerfile");
  if (text === undefined) throw new InvalidArgument(`the build context has no Dockerfile at "${asGiven}"`);
  return text;
}

function kindOf(st: import("node:fs").Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a file";
}
