import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { config, type Logger, type OidcConfig } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { setCookie } from "../context.js";
import { createSession, sessionCookie } from "./sessions.js";
import { parseCookies } from "./sessions.js";
import { userForIdentity } from "./oidc-users.js";

/**
 * OpenID Connect sign-in (authorization code flow with PKCE, state and nonce) through
 * `openid-client`: /auth/oidc/login sends the browser to the provider, /auth/oidc/callback
 * takes the code back, matches or creates the user and starts a dashboard session.
 */
export const OIDC_LOGIN_PATH = "/auth/oidc/login";
export const OIDC_CALLBACK_PATH = "/auth/oidc/callback";
const FLOW_COOKIE = "berth_oidc_flow";
const FLOW_TTL_MS = 10 * 60_000;
const MAX_FLOWS = 10_000;

type Client = typeof import("openid-client");
// openid-client is ESM only; web's server compiles to CommonJS, so it is loaded with import().
const loadClient = (): Promise<Client> => import("openid-client");

/** "Sign in with <name>" on the dashboard; null when OpenID Connect is not configured. */
export function oidcProviderName(): string | null {
  return config().oidc?.displayName ?? null;
}

interface Flow {
  verifier: string;
  state: string;
  nonce: string;
  expiresAt: number;
}

const isHttps = (req: IncomingMessage) => String(req.headers["x-forwarded-proto"] ?? "").split(",")[0]?.trim() === "https";

function flowCookie(req: IncomingMessage, value: string, maxAgeSec: number): string {
  // Lax: the provider's redirect back is a top-level GET, which Lax cookies go along with.
  const attrs = [`${FLOW_COOKIE}=${value}`, "Path=/auth/oidc", "HttpOnly", "SameSite=Lax", `Max-Age=${maxAgeSec}`];
  if (isHttps(req)) attrs.push("Secure");
  return attrs.join("; ");
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export interface OidcDeps {
  db: PrismaClient;
  log: Logger;
}

export function oidcHttpHandler(deps: OidcDeps, oidc: OidcConfig | undefined = config().oidc) {
  const flows = new Map<string, Flow>();
  let discovered: Promise<import("openid-client").Configuration> | undefined;

  const discover = (client: Client, o: OidcConfig) => {
    discovered ??= (async () => {
      const issuer = new URL(o.issuer);
      // Plain http only to a provider on this host (tests, a local proxy); anything else must be https.
      if (issuer.protocol === "http:" && !isLoopback(issuer.hostname)) {
        throw new Error(`BERTH_OIDC_ISSUER ${o.issuer} is plain http: use https (http is accepted only for a loopback address)`);
      }
      const insecure = issuer.protocol === "http:" ? { execute: [client.allowInsecureRequests] } : undefined;
      // client_secret_basic: the spec's default, which every provider takes.
      return client.discovery(issuer, o.clientId, o.clientSecret, client.ClientSecretBasic(o.clientSecret), insecure);
    })().catch((err: unknown) => {
      discovered = undefined; // try again at the next sign-in
      throw err;
    });
    return discovered;
  };

  const redirectUri = () => `${config().url}${OIDC_CALLBACK_PATH}`;

  const fail = (res: ServerResponse, status: number, message: string) => {
    const text = `Sign-in failed: ${message}\n`;
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end(text);
  };

  const login = async (req: IncomingMessage, res: ServerResponse, o: OidcConfig) => {
    const client = await loadClient();
    const cfg = await discover(client, o);
    const now = Date.now();
    if (flows.size >= MAX_FLOWS) for (const [k, f] of flows) if (f.expiresAt <= now) flows.delete(k);
    if (flows.size >= MAX_FLOWS) return fail(res, 503, "too many sign-ins in progress: try again in a few minutes");
    const flow: Flow = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce(), expiresAt: now + FLOW_TTL_MS };
    const id = randomBytes(24).toString("base64url");
    flows.set(id, flow);
    const scopes = ["openid", "email", "profile"];
    // A team claim usually comes with a scope of its name ("groups"): ask for it when offered.
    const offered = cfg.serverMetadata().scopes_supported ?? [];
    if (o.teamClaim && offered.includes(o.teamClaim)) scopes.push(o.teamClaim);
    const url = client.buildAuthorizationUrl(cfg, {
      redirect_uri: redirectUri(),
      scope: scopes.join(" "),
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: "S256",
      state: flow.state,
      nonce: flow.nonce,
    });
    setCookie(res, flowCookie(req, id, Math.floor(FLOW_TTL_MS / 1000)));
    res.writeHead(302, { location: url.href, "cache-control": "no-store" });
    res.end();
  };

  const callback = async (req: IncomingMessage, res: ServerResponse, o: OidcConfig) => {
    const id = parseCookies(req.headers.cookie)[FLOW_COOKIE];
    const flow = id ? flows.get(id) : undefined;
    if (id) flows.delete(id); // one use only
    setCookie(res, flowCookie(req, "", 0));
    if (!flow || flow.expiresAt <= Date.now()) return fail(res, 400, "this sign-in was not started here or took too long: start again from the dashboard");
    const client = await loadClient();
    const cfg = await discover(client, o);
    const current = new URL(req.url ?? "/", config().url);
    let tokens: Awaited<ReturnType<Client["authorizationCodeGrant"]>>;
    try {
      tokens = await client.authorizationCodeGrant(
        cfg,
        current,
        { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true },
        { redirect_uri: redirectUri() },
      );
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, "OpenID Connect sign-in refused");
      return fail(res, 401, `the provider's answer was refused (${(err as Error).message})`);
    }
    const idClaims = tokens.claims()!;
    const info = await client.fetchUserInfo(cfg, tokens.access_token, idClaims.sub);
    const claims: Record<string, unknown> = { ...info, ...idClaims };
    const teamValue = o.teamClaim ? claims[o.teamClaim] : undefined;
    const teams = (Array.isArray(teamValue) ? teamValue : [teamValue]).filter((t): t is string => typeof t === "string" && t.length > 0);
    const user = await userForIdentity(deps.db, deps.log, {
      subject: idClaims.sub,
      email: typeof claims.email === "string" ? claims.email.toLowerCase() : undefined,
      emailVerified: claims.email_verified === true,
      preferredName: typeof claims.preferred_username === "string" ? claims.preferred_username : undefined,
      teams,
    });
    const session = await createSession(deps.db, user.id);
    setCookie(res, sessionCookie(session.token, session.expiresAt, req.headers));
    deps.log.info({ user: user.name, created: user.created }, "OpenID Connect sign-in");
    res.writeHead(302, { location: "/", "cache-control": "no-store" });
    res.end();
  };

  /** True when the request was an OpenID Connect route (answered here). */
  return (req: IncomingMessage, res: ServerResponse, pathname: string): boolean => {
    if (pathname !== OIDC_LOGIN_PATH && pathname !== OIDC_CALLBACK_PATH) return false;
    if (req.method !== "GET") {
      fail(res, 405, "method not allowed");
      return true;
    }
    if (!oidc) {
      fail(res, 404, "OpenID Connect is not configured on this Berth (BERTH_OIDC_ISSUER, BERTH_OIDC_CLIENT_ID, BERTH_OIDC_CLIENT_SECRET)");
      return true;
    }
    const run = pathname === OIDC_LOGIN_PATH ? login : callback;
    run(req, res, oidc).catch((err: unknown) => {
      deps.log.error({ err, pathname }, "OpenID Connect sign-in failed");
      if (!res.headersSent) fail(res, 502, `could not talk to the OpenID provider ${oidc.issuer}: ${(err as Error).message}`);
      else res.destroy();
    });
    return true;
  };
}
