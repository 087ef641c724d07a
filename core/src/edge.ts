import { z } from "zod";
import { InvalidArgument } from "./errors.js";

/**
 * The edge (router): host names, link visibility and the contract between the edge process
 * and web's /api/edge/* routes. A host name names one route: a container's port today,
 * `<service>-<port>--<stack>--<team>` once stacks land (one more kind of route key).
 */

export const EDGE_VISIBILITIES = ["private", "team", "public"] as const;
export type EdgeVisibility = (typeof EDGE_VISIBILITIES)[number];
export const EdgeVisibilitySchema = z.enum(EDGE_VISIBILITIES);

/** A route key: what a host name points at, before it is resolved to an address. */
export type EdgeRouteKey =
  | { kind: "container"; team: string; container: string; port: number }
  | { kind: "stack"; team: string; stack: string; service: string; port: number };

/** Cookies the edge sets on a link's own host name (never forwarded to the app). */
export const EDGE_SESSION_COOKIE = "berth_edge";
export const EDGE_LINK_COOKIE = "berth_link";
/** The query parameter carrying a capability link's secret (accepted once, then a cookie). */
export const EDGE_LINK_PARAM = "berth_link";
/** Header form of a capability secret, for curl and CI. */
export const EDGE_LINK_HEADER = "x-berth-link";
/** Capability secrets start with this, so a Bearer header can carry one or an API token. */
export const EDGE_LINK_PREFIX = "berthlink_";
/** The edge's own path on every link host: finishes the sign-in round trip. */
export const EDGE_AUTH_PATH = "/__berth/auth";

const NAME_PORT = /^(.+)-(\d{1,5})$/;

/** Parses `<name>-<port>--<team>` (or `<service>-<port>--<stack>--<team>`) under `domain`; null if the host is not a link. */
export function parseEdgeHost(hostHeader: string, domain: string): EdgeRouteKey | null {
  const host = hostHeader.toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  const suffix = `.${domain.toLowerCase()}`;
  if (!host.endsWith(suffix)) return null;
  const label = host.slice(0, -suffix.length);
  if (!label || label.includes(".")) return null;
  const parts = label.split("--");
  const m = NAME_PORT.exec(parts[0] ?? "");
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  if (parts.length === 2 && parts[1]) return { kind: "container", team: parts[1], container: m[1]!, port };
  if (parts.length === 3 && parts[1] && parts[2]) return { kind: "stack", team: parts[2], stack: parts[1], service: m[1]!, port };
  return null;
}

/** The host name of a route key under `domain` (lower case: host names are). */
export function edgeHostName(key: EdgeRouteKey, domain: string): string {
  const label = key.kind === "container" ? `${key.container}-${key.port}--${key.team}` : `${key.service}-${key.port}--${key.stack}--${key.team}`;
  if (label.includes(".")) throw new InvalidArgument(`"${label}" cannot be a host name label (it has a dot): rename the container without dots to give it a link`);
  return `${label}.${domain}`.toLowerCase();
}

/** The link URL the CLI and dashboard show. */
export function edgeUrl(key: EdgeRouteKey, domain: string, edgePort: number): string {
  return `http://${edgeHostName(key, domain)}${edgePort === 80 ? "" : `:${edgePort}`}/`;
}

/** What the edge asks web for each request (cached briefly by the edge). */
export const EdgeAuthorizeRequest = z.object({
  host: z.string().min(1).max(512),
  /** The edge cookie's session secret, an API token (Bearer) or a capability secret. */
  session: z.string().max(512).optional(),
  token: z.string().max(512).optional(),
  link: z.string().max(512).optional(),
  /** The link secret came as the query parameter (accepted once). */
  linkFromQuery: z.boolean().default(false),
});
export type EdgeAuthorizeRequest = z.infer<typeof EdgeAuthorizeRequest>;

export type EdgeDecision =
  | { allow: true; containerId: string; port: number; ttlMs: number; linkMaxAgeS?: number }
  | { allow: false; status: 401 | 403 | 404; reason: string; ttlMs: number };

export function edgeRouteKeyString(k: EdgeRouteKey): string {
  return k.kind === "container" ? `c/${k.team}/${k.container}/${k.port}` : `s/${k.team}/${k.stack}/${k.service}/${k.port}`;
}

export const edgeKeys = {
  /** hash: port → visibility, per container (absent port: private). */
  visibility: (containerId: string) => `berth:edge:vis:${containerId}`,
  /** A capability secret (sha256) → JSON {containerId, port}; expires with the link. */
  capability: (hash: string) => `berth:edge:cap:${hash}`,
  /** Set once the query form of a capability secret was used. */
  capabilityUsed: (hash: string) => `berth:edge:capused:${hash}`,
  /** One-time code of the sign-in round trip → session secret for the edge cookie. */
  signInCode: (code: string) => `berth:edge:code:${code}`,
};
