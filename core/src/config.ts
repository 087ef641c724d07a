import path from "node:path";
import { z } from "zod";

/** A registry upload idle this long is abandoned (BERTH_UPLOAD_IDLE_TIMEOUT_MS): minutes, so its bytes do not fill the disk. */
export const UPLOAD_IDLE_TIMEOUT_DEFAULT_MS = 15 * 60_000;

/** Environment read and validated once; every process gets its settings from here. */

const EnvSchema = z.object({
  BERTH_HOME: z.string().min(1).default("/var/lib/berth"),
  BERTH_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  BERTH_HOST: z.string().min(1).default("0.0.0.0"),
  /** The edge (router) serving port links `<name>-<port>--<team>.<BERTH_DOMAIN>`. */
  BERTH_EDGE_PORT: z.coerce.number().int().min(1).max(65535).default(8000),
  /** The edge's TLS port (HTTPS, HTTP/2 with HTTP/1.1 by ALPN; certificates from $BERTH_HOME/edge/certs); unset: no TLS. */
  BERTH_EDGE_TLS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** The edge's native fast path on its plain HTTP port (native/src/edge_fast_main.cc): 0 or false serves every request from Node. */
  BERTH_EDGE_FASTPATH: z.enum(["0", "1", "false", "true"], { message: "1 or true (the default) serves granted plain-HTTP requests natively; 0 or false serves them all from Node" }).default("1"),
  /** The fast path's event loops; unset: half the host's cores (at least one). */
  BERTH_EDGE_LOOPS: z.coerce.number({ message: "a whole number of event loops, 1 to 256" }).int("a whole number of event loops, 1 to 256").min(1, "at least 1 event loop").max(256, "at most 256 event loops").optional(),
  /** An ACME directory URL: the edge gets certificates for named routes' domains from it (http-01 on its plain port). */
  BERTH_ACME_DIRECTORY: z.string().url("an ACME directory URL such as https://acme-v02.api.letsencrypt.org/directory").optional(),
  BERTH_ACME_EMAIL: z.string().email("an e-mail address for the ACME account").optional(),
  /** A PEM file of a CA to trust for the ACME server's own HTTPS (a private CA). */
  BERTH_ACME_CA_FILE: z.string().refine((p) => path.isAbsolute(p), "an absolute path to a PEM file").optional(),
  BERTH_DOMAIN: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i, "a DNS name such as localhost or dev.example.com (a wildcard record *.DOMAIN points at this host)").default("localhost"),
  DATABASE_URL: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  BERTH_URL: z.string().url().optional(),
  BERTH_TOKEN: z.string().min(1).optional(),
  BERTH_HOST_ID: z.string().regex(/^[a-z0-9-]{1,40}$/, "lowercase letters, digits and '-' only").optional(),
  BERTH_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  /** How long a SQLite write waits for another process's write lock before "database busy". */
  BERTH_DB_BUSY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  BERTH_ALLOW_CONTAINER_CONTROL_PLANE: z.enum(["0", "1", "false", "true"], { message: "1 or true lets containers reach web's (and Redis') port on this host; 0 or false (the default) refuses it" }).default("0"),
  BERTH_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(8 * 1024 * 1024),
  BERTH_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1024).default(64 * 1024 ** 3),
  BERTH_BODY_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  /** A registry upload (a resumable blob push) untouched this long is abandoned: its row and bytes are removed. */
  BERTH_UPLOAD_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(7 * 24 * 3600_000).default(UPLOAD_IDLE_TIMEOUT_DEFAULT_MS),
  BERTH_LOG_RETENTION_HOURS: z.coerce.number().min(0, "hours to keep a removed container's logs: 0 or more").max(24 * 365).default(24),
  BERTH_STATS_INTERVAL_MS: z.coerce.number().int().min(200, "the stats sampling interval is at least 200 ms").max(600_000).default(5_000),
  BERTH_PREVIEW_EXPIRY_INTERVAL_MS: z.coerce.number().int().min(1_000, "previews are checked for expiry at most every second").max(3_600_000).default(60_000),
  BERTH_OIDC_ISSUER: z.string().url("the OpenID provider's issuer URL, such as https://login.example.com").optional(),
  BERTH_OIDC_CLIENT_ID: z.string().min(1).optional(),
  BERTH_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  BERTH_OIDC_TEAM_CLAIM: z.string().min(1).optional(),
  BERTH_OIDC_NAME: z.string().min(1).max(64).optional(),
  /** A module (absolute path) exporting `deploy` and `remove`: the preview deployer a push calls (web/src/server/projects/deployer.ts). */
  BERTH_PREVIEW_DEPLOYER: z.string().refine((p) => path.isAbsolute(p), "an absolute path to a JavaScript module exporting deploy and remove").optional(),
});

export interface Config {
  home: string;
  port: number;
  /** The edge's port and the domain its link host names sit under. */
  edgePort: number;
  /** The edge's TLS port (HTTP/2 and HTTP/1.1 by ALPN), if any. */
  edgeTlsPort: number | undefined;
  /** Whether the edge's plain HTTP port is served by the native fast path (BERTH_EDGE_FASTPATH). */
  edgeFastPath: boolean;
  /** The fast path's event loops (BERTH_EDGE_LOOPS); undefined: half the cores, at least one. */
  edgeLoops: number | undefined;
  /** Certificates by ACME for named routes' domains, when a directory is set. */
  acme: { directoryUrl: string; email: string | undefined; caFile: string | undefined } | undefined;
  domain: string;
  listenHost: string;
  databaseUrl: string;
  /** redis://… or unix:///path/to/redis.sock; undefined means "Berth runs its own" (launcher decides). */
  redisUrl: string | undefined;
  url: string;
  token: string | undefined;
  hostId: string | undefined;
  logLevel: z.infer<typeof EnvSchema>["BERTH_LOG_LEVEL"];
  dbBusyTimeoutMs: number;
  /**
   * Whether containers may open connections to Berth's control-plane ports on this host (web's
   * port, a local Redis or PostgreSQL). Off by default: a container is not a trusted client.
   */
  allowContainerControlPlane: boolean;
  /** Largest request body web reads for the API (JSON): refused at the headers (413) or as it streams in. */
  maxBodyBytes: number;
  /** Largest upload (build context, image load/import, cp, registry blob). */
  maxUploadBytes: number;
  /** A request body that sends nothing for this long is cut off (its connection closed). */
  bodyIdleTimeoutMs: number;
  /** A registry upload nothing was sent to for this long is swept (row and partial bytes). */
  uploadIdleTimeoutMs: number;
  /** How long a removed container's logs stay readable (hours; 0: removed with the container). */
  logRetentionHours: number;
  /** How often the worker samples every running container's usage for the stats history. */
  statsIntervalMs: number;
  /** OpenID Connect sign-in ("Sign in with <name>"), when an issuer and client are configured. */
  oidc: OidcConfig | undefined;
  /** A module that deploys and removes branch previews, loaded at web's start instead of the built-in one. */
  previewDeployerModule: string | undefined;
  /** How often web removes previews past their berth.yaml ttl. */
  previewExpiryIntervalMs: number;
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** A claim naming the team the user joins (as a member) at sign-in. */
  teamClaim: string | undefined;
  /** Shown on the button; the issuer's host name by default. */
  displayName: string;
}

function oidcConfig(e: z.infer<typeof EnvSchema>): OidcConfig | undefined {
  const { BERTH_OIDC_ISSUER: issuer, BERTH_OIDC_CLIENT_ID: clientId, BERTH_OIDC_CLIENT_SECRET: clientSecret } = e;
  if (!issuer && !clientId && !clientSecret) return undefined;
  const missing = [!issuer && "BERTH_OIDC_ISSUER", !clientId && "BERTH_OIDC_CLIENT_ID", !clientSecret && "BERTH_OIDC_CLIENT_SECRET"].filter(Boolean);
  if (!issuer || !clientId || !clientSecret) throw new ConfigError(`invalid Berth configuration in the environment:\n  OpenID Connect needs ${missing.join(" and ")} as well`);
  return { issuer, clientId, clientSecret, teamClaim: e.BERTH_OIDC_TEAM_CLAIM, displayName: e.BERTH_OIDC_NAME ?? new URL(issuer).hostname };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means unset, as in most shells' habits (`BERTH_TOKEN= berth ps`).
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = EnvSchema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid Berth configuration in the environment:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const home = path.resolve(e.BERTH_HOME);
  return {
    home,
    port: e.BERTH_PORT,
    listenHost: e.BERTH_HOST,
    edgePort: e.BERTH_EDGE_PORT,
    edgeTlsPort: e.BERTH_EDGE_TLS_PORT,
    edgeFastPath: e.BERTH_EDGE_FASTPATH === "1" || e.BERTH_EDGE_FASTPATH === "true",
    edgeLoops: e.BERTH_EDGE_LOOPS,
    acme: e.BERTH_ACME_DIRECTORY ? { directoryUrl: e.BERTH_ACME_DIRECTORY, email: e.BERTH_ACME_EMAIL, caFile: e.BERTH_ACME_CA_FILE } : undefined,
    domain: e.BERTH_DOMAIN.toLowerCase(),
    databaseUrl: e.DATABASE_URL ?? `file:${path.join(home, "berth.db")}`,
    redisUrl: e.REDIS_URL,
    url: (e.BERTH_URL ?? `http://127.0.0.1:${e.BERTH_PORT}`).replace(/\/+$/, ""),
    token: e.BERTH_TOKEN,
    hostId: e.BERTH_HOST_ID,
    logLevel: e.BERTH_LOG_LEVEL,
    dbBusyTimeoutMs: e.BERTH_DB_BUSY_TIMEOUT_MS,
    allowContainerControlPlane: e.BERTH_ALLOW_CONTAINER_CONTROL_PLANE === "1" || e.BERTH_ALLOW_CONTAINER_CONTROL_PLANE === "true",
    maxBodyBytes: e.BERTH_MAX_BODY_BYTES,
    maxUploadBytes: e.BERTH_MAX_UPLOAD_BYTES,
    bodyIdleTimeoutMs: e.BERTH_BODY_IDLE_TIMEOUT_MS,
    uploadIdleTimeoutMs: e.BERTH_UPLOAD_IDLE_TIMEOUT_MS,
    logRetentionHours: e.BERTH_LOG_RETENTION_HOURS,
    statsIntervalMs: e.BERTH_STATS_INTERVAL_MS,
    oidc: oidcConfig(e),
    previewDeployerModule: e.BERTH_PREVIEW_DEPLOYER,
    previewExpiryIntervalMs: e.BERTH_PREVIEW_EXPIRY_INTERVAL_MS,
  };
}

let cached: Config | undefined;
/** The process-wide config (parsed on first use). */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

export { homePaths, type HomePaths } from "./home-paths.js";
