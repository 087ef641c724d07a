import { z } from "zod";
import { InvalidArgument } from "./errors.js";

/**
 * The edge (router): host names, link visibility and the contract between the edge process
 * and web's /api/edge/* routes. A host name names one route: a container's port
 * (`<name>-<port>--<team>`), a stack service's port (`<service>-<port>--<stack>--<team>`), or a
 * named route such as a branch preview (`<branch>--<project>--<team>`), whose upstream is
 * switched atomically through the named-route file (see EdgeRoutesFile).
 */

export const EDGE_VISIBILITIES = ["private", "team", "public"] as const;
export type EdgeVisibility = (typeof EDGE_VISIBILITIES)[number];
export const EdgeVisibilitySchema = z.enum(EDGE_VISIBILITIES);

/** A route key: what a host name points at, before it is resolved to an address. */
export type EdgeRouteKey =
  | { kind: "container"; team: string; container: string; port: number }
  | { kind: "stack"; team: string; stack: string; service: string; port: number }
  | { kind: "preview"; team: string; project: string; branch: string }
  | { kind: "environment"; team: string; project: string; env: string };

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
/**
 * Redis pub/sub channel on which web says an input of the edge's policy answers changed (a link's
 * visibility, a session, a token, a membership): the edge forgets its cached answers (and its fast
 * path's grants) at once, so the change holds from the next request.
 */
export const EDGE_POLICY_CHANNEL = "berth:edge:policy";
/** Where an edge acknowledges policy change `id` (one list entry per edge), once its caches and fast path have forgotten. */
export const edgePolicyAckKey = (id: string) => `berth:edge:policy-ack:${id}`;

const NAME_PORT = /^(.+)-(\d{1,5})$/;

/** The DNS label under `domain` a host names, lower case; null when it is not one label under it. */
function hostLabel(hostHeader: string, domain: string): string | null {
  const host = hostHeader.toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  const suffix = `.${domain.toLowerCase()}`;
  if (!host.endsWith(suffix)) return null;
  const label = host.slice(0, -suffix.length);
  return !label || label.includes(".") ? null : label;
}

/**
 * Every route a host may name, in the order they are tried. `<a>-<n>--<b>--<team>` reads both as
 * stack b's service a, port n, and as branch `a-n`'s preview of project b: the preview (a named
 * route) is tried first. A preview's other services answer at
 * `<service>-<port>--<branch>--<project>--<team>` (its stack is `<branch>--<project>`).
 */
export function edgeRouteCandidates(hostHeader: string, domain: string): EdgeRouteKey[] {
  const label = hostLabel(hostHeader, domain);
  if (!label) return [];
  const parts = label.split("--");
  if (parts.some((p) => !p)) return [];
  const m = NAME_PORT.exec(parts[0]!);
  const port = m ? Number(m[2]) : 0;
  const portOk = !!m && port >= 1 && port <= 65535;
  const out: EdgeRouteKey[] = [];
  if (parts.length === 3) out.push({ kind: "preview", team: parts[2]!, project: parts[1]!, branch: parts[0]! });
  // `env--<env>--<project>--<team>`: "env" has no port, so no stack's service reads the same.
  if (parts.length === 4 && parts[0] === "env") return [{ kind: "environment", team: parts[3]!, project: parts[2]!, env: parts[1]! }];
  if (!portOk) return out;
  if (parts.length === 2) out.push({ kind: "container", team: parts[1]!, container: m![1]!, port });
  else if (parts.length === 3 || parts.length === 4) out.push({ kind: "stack", team: parts.at(-1)!, stack: parts.slice(1, -1).join("--"), service: m![1]!, port });
  return out;
}

/** Parses `<name>-<port>--<team>` (or a stack's or preview's host) under `domain`; null if the host is not a link. */
export function parseEdgeHost(hostHeader: string, domain: string): EdgeRouteKey | null {
  const all = edgeRouteCandidates(hostHeader, domain);
  // A 3-part host with a port reads as the stack's service first (the preview is an alternative).
  return all.find((k) => k.kind !== "preview") ?? all[0] ?? null;
}

/** The host name of a route key under `domain` (lower case: host names are). */
export function edgeHostName(key: EdgeRouteKey, domain: string): string {
  const label =
    key.kind === "container"
      ? `${key.container}-${key.port}--${key.team}`
      : key.kind === "stack"
        ? `${key.service}-${key.port}--${key.stack}--${key.team}`
        : key.kind === "environment"
          ? `env--${key.env}--${key.project}--${key.team}`
          : `${key.branch}--${key.project}--${key.team}`;
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
  if (k.kind === "environment") return environmentRouteName(k.team, k.project, k.env);
  return k.kind === "container" ? `c/${k.team}/${k.container}/${k.port}` : k.kind === "stack" ? `s/${k.team}/${k.stack}/${k.service}/${k.port}` : previewRouteName(k.team, k.project, k.branch);
}

// ---- Named routes: a route name → its current upstream, switched atomically ------------------
// Web (the deployer) writes $BERTH_HOME/edge/routes.json with write-then-rename under a lock; the
// edge reloads it on change, swaps its table in one step, and answers in edge/served.json with
// the generation it serves and the old upstreams still finishing requests (draining). A deployer
// removes an old upstream only once it is no longer served nor draining. Previews use it today;
// environments and releases (issue 17) name their routes the same way.

/** The route name of branch `branch`'s preview of `project` in `team` (all lower case). */
export const previewRouteName = (team: string, project: string, branch: string) => `preview/${team}/${project}/${branch}`.toLowerCase();

/** The route name of environment `env` of `project` in `team` (all lower case). */
export const environmentRouteName = (team: string, project: string, env: string) => `env/${team}/${project}/${env}`.toLowerCase();

/** A custom domain of a named route: an exact host name such as app.example.com (lower case, no port, no wildcard). */
export const EdgeDomain = z
  .string()
  .max(253)
  .transform((s) => s.toLowerCase().replace(/\.$/, ""))
  .pipe(z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "an exact host name such as app.example.com (letters, digits, '-' and dots; no scheme, port or wildcard)"));

export const EdgeUpstream = z.object({ containerId: z.string().min(1), port: z.number().int().min(1).max(65535) });
export type EdgeUpstream = z.infer<typeof EdgeUpstream>;

export const NamedRoute = z.object({
  /** The first of `upstreams` (what a route written before `upstreams` existed has alone). */
  upstream: EdgeUpstream,
  /** Every replica the route balances across (absent: `upstream` only). */
  upstreams: z.array(EdgeUpstream).min(1).optional(),
  teamId: z.string().min(1),
  /** What visibility and capability links key on: stable across deploys (the stack service's link). */
  linkId: z.string().min(1),
  /** Visibility when none was set for linkId. */
  defaultVisibility: EdgeVisibilitySchema,
  /** Free-form facts for people and tools (project, branch, sha, stack). */
  labels: z.record(z.string(), z.string()).default({}),
  since: z.string(),
  /** Exact host names (app.example.com) served by this route as well as its generated name. */
  domains: z.array(EdgeDomain).optional(),
  /**
   * Served to anyone with no policy call to web (production environments): such a route keeps
   * answering while web or the worker is down. Otherwise defaultVisibility and links decide.
   */
  public: z.boolean().optional(),
});
export type NamedRoute = z.infer<typeof NamedRoute>;

/** The upstreams a named route balances across. */
export const namedRouteUpstreams = (r: NamedRoute): EdgeUpstream[] => r.upstreams ?? [r.upstream];

export const EdgeRoutesFile = z.object({ generation: z.number().int().min(0), routes: z.record(z.string(), NamedRoute) });
export type EdgeRoutesFile = z.infer<typeof EdgeRoutesFile>;

export const EdgeServedFile = z.object({
  /** The routes.json generation the edge serves now. */
  generation: z.number().int().min(0),
  pid: z.number().int(),
  /** Upstreams no longer routed to that still have requests in flight: container id → count. */
  draining: z.record(z.string(), z.number().int()),
  at: z.string(),
});
export type EdgeServedFile = z.infer<typeof EdgeServedFile>;

/**
 * The route key a named route's name stands for (`preview/<team>/<project>/<branch>`,
 * `env/<team>/<project>/<env>`); null for a name of another shape.
 */
export function namedRouteKey(name: string): EdgeRouteKey | null {
  const [kind, team, project, last, ...rest] = name.split("/");
  if (rest.length || !team || !project || !last) return null;
  if (kind === "env") return { kind: "environment", team, project, env: last };
  if (kind === "preview") return { kind: "preview", team, project, branch: last };
  return null;
}

export const edgeRoutesPath = (home: string) => `${home}/edge/routes.json`;
/** TLS certificates: `<host>.crt` + `<host>.key` (PEM), `_wildcard.<parent>.crt|key` for `*.<parent>`. */
export const edgeCertsDir = (home: string) => `${home}/edge/certs`;
/** Request logs per named route (JSON lines, size-capped and rotated). */
export const edgeLogsDir = (home: string) => `${home}/edge/logs`;
export const edgeServedPath = (home: string) => `${home}/edge/served.json`;
/** The link id of a stack service's ports: what visibility and capabilities key on. */
export const stackLinkId = (stackId: string, service: string) => `stack:${stackId}:${service}`;

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
