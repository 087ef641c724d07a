import { InvalidArgument } from "./errors.js";

export interface ImageRef {
  /** Repository path, e.g. "busybox" or "team/app" (no registry host in this first cut). */
  name: string;
  tag: string;
  digest?: string;
}

const NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Parses "name[:tag][@digest]" as Docker does; tag defaults to "latest". */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidArgument(`invalid image reference "${ref}": digest must be sha256:<64 hex>`);
  }
  let tag = "latest";
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidArgument(`invalid image reference "${ref}": bad tag "${tag}"`);
  }
  if (rest.startsWith("library/")) rest = rest.slice("library/".length);
  if (!NAME.test(rest)) {
    throw new InvalidArgument(`invalid image reference "${ref}": repository name must be lowercase letters, digits and separators`);
  }
  return digest ? { name: rest, tag, digest } : { name: rest, tag };
}

export const formatImageRef = (r: ImageRef) => `${r.name}:${r.tag}${r.digest ? `@${r.digest}` : ""}`;
