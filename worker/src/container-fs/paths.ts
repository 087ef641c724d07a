import path from "node:path";
import { InvalidArgument } from "@berth/core";

/** A container path as given ("tmp/../etc/", "/a/.") → absolute and normalised, ".." clamped at "/". */
export function cleanContainerPath(p: string): string {
  if (p.includes("\0")) throw new InvalidArgument("a container path must not contain NUL bytes");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** A tar entry's name → its relative parts; refuses absolute names and "..". */
export function entryParts(raw: string): string[] {
  if (raw.startsWith("/")) throw new InvalidArgument(`archive entry "${raw}" has an absolute path`);
  const parts = raw.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.includes("..")) throw new InvalidArgument(`archive entry "${raw}" contains ".."`);
  return parts;
}

/** "/proc/self/fd/N/name": `name` (one component) inside the directory open as fd N; the kernel does not follow a final symlink for lstat/readlink/unlink/mkdir/symlink, nor with O_NOFOLLOW. */
export const inFd = (fd: number, name: string) => path.posix.join(`/proc/self/fd/${fd}`, name);
