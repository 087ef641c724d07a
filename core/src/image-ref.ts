import { InvalidArgument } from "./errors.js";

export interface ImageRef {
  /**
   * Repository name as the user wrote it, e.g. "busybox", "team/app", or with a registry host
   * "127.0.0.1:5000/alice/app" (tags are stored under this full name, as Docker does).
   */
  name: string;
  tag: string;
  digest?: string;
  /** The registry host ("127.0.0.1:5000", "localhost", "registry.example.com"), when the name starts with one. */
  registry?: string;
  /** With `registry`: the repository path inside that registry ("alice/app"). */
  repository?: string;
}

/** Docker's rule: a first path component with a "." or ":" (or "localhost") is a registry host. */
const HOST = /^(?:localhost|\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]{1,5})?$/;

function splitRegistry(rest: string): { registry?: string; path: string } {
  const slash = rest.indexOf("/");
  if (slash < 0) return { path: rest };
  const first = rest.slice(0, slash);
  if (!(first.includes(".") || first.includes(":") || first === "localhost")) return { path: rest };
  if (!HOST.test(first)) return { path: rest };
  return { registry: first, path: rest.slice(slash + 1) };
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
  const { registry, path } = splitRegistry(rest);
  // A name with a host:port ("127.0.0.1:5000/…") or an uppercase host is checked without its host.
  if (!NAME.test(rest) && !(registry && NAME.test(path))) {
    throw new InvalidArgument(`invalid image reference "${ref}": repository name must be lowercase letters, digits and separators`);
  }
  const out: ImageRef = digest ? { name: rest, tag, digest } : { name: rest, tag };
  if (registry) {
    out.registry = registry;
    out.repository = path;
  }
  return out;
}

export const formatImageRef = (r: ImageRef) => `${r.name}:${r.tag}${r.digest ? `@${r.digest}` : ""}`;
