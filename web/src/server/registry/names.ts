import { RegistryError } from "./errors.js";

const COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
/** Berth repository names: `namespace/name[/more]` (the spec's grammar, with a namespace required). */
export const REPO_NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})+$`);
export const REPO_NAME_MAX = 255;
export const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** The digests stored here: sha256 and sha512. */
export const DIGEST_RE = /^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
/** Any digest the spec's grammar allows (we store sha256 and sha512 only). */
const ANY_DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export const isRepoName = (name: string) => name.length <= REPO_NAME_MAX && REPO_NAME_RE.test(name);
export const isDigest = (s: string) => ANY_DIGEST_RE.test(s);

export function checkRepoName(name: string): string {
  if (!isRepoName(name)) {
    throw new RegistryError(
      "NAME_INVALID",
      `invalid repository name "${name}": want NAMESPACE/NAME in lowercase letters, digits and separators (the namespace is a team you are in, or your user name)`,
      { detail: { name } },
    );
  }
  return name;
}

/** A sha256 or sha512 digest, else DIGEST_INVALID (other algorithms are not stored here). */
export function checkDigest(d: string): string {
  if (!DIGEST_RE.test(d)) {
    throw new RegistryError("DIGEST_INVALID", `invalid digest "${d}": this registry stores sha256:<64 hex> and sha512:<128 hex> digests`, { detail: { digest: d } });
  }
  return d;
}

export const namespaceOf = (name: string) => name.slice(0, name.indexOf("/"));

export type Route =
  | { kind: "base" }
  | { kind: "token" }
  | { kind: "catalog" }
  | { kind: "tags"; name: string }
  | { kind: "manifest"; name: string; reference: string }
  | { kind: "blob"; name: string; digest: string }
  | { kind: "uploads"; name: string }
  | { kind: "upload"; name: string; id: string }
  | { kind: "referrers"; name: string; digest: string };

const ROUTES: [RegExp, (m: RegExpExecArray) => Route][] = [
  [/^\/v2\/?$/, () => ({ kind: "base" })],
  [/^\/v2\/token\/?$/, () => ({ kind: "token" })],
  [/^\/v2\/_catalog\/?$/, () => ({ kind: "catalog" })],
  [/^\/v2\/(.+)\/tags\/list\/?$/, (m) => ({ kind: "tags", name: m[1]! })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: "manifest", name: m[1]!, reference: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: "uploads", name: m[1]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: "upload", name: m[1]!, id: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: "blob", name: m[1]!, digest: m[2]! })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: "referrers", name: m[1]!, digest: m[2]! })],
];

/** Which endpoint a /v2/ path names (the repository name may itself contain slashes). */
export function parseRoute(pathname: string): Route | undefined {
  let p: string;
  try {
    p = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  for (const [re, make] of ROUTES) {
    const m = re.exec(p);
    if (m) return make(m);
  }
  return undefined;
}
