/**
 * Who calls the registry and whether they may: Docker token auth (a Bearer JWT from
 * /v2/token), plus Basic auth and Berth API tokens directly, for curl and scripts.
 */
import type { IncomingMessage } from "node:http";
import type { PrismaClient } from "@berth/core/db";
import { TOKEN_PREFIX, userForToken, verifyPassword } from "../auth/index.js";
import { ACTIONS, ANONYMOUS, heldActions, parseScopes, type Action, type Principal, type RepoAccessInfo } from "./access.js";
import { RegistryError } from "./errors.js";
import { externalBase } from "./http.js";
import { verifyJwt } from "./jwt.js";
import { loadPrincipal, loadPrincipalById } from "./principal.js";

export const SERVICE = "berth";

export interface Caller {
  principal: Principal;
  /** What a registry token grants, per repository; undefined for direct credentials (the principal's own rights apply). */
  granted?: Map<string, Set<Action>>;
  /** How the caller authenticated. */
  via: "none" | "basic" | "api-token" | "bearer";
}

export const tokenRealm = (req: IncomingMessage) => `${externalBase(req)}/v2/token`;

export function challenge(req: IncomingMessage, scope?: string, error?: string): string {
  let h = `Bearer realm="${tokenRealm(req)}",service="${SERVICE}"`;
  if (scope) h += `,scope="${scope}"`;
  if (error) h += `,error="${error}"`;
  return h;
}

export function unauthorized(req: IncomingMessage, opts: { scope?: string; error?: string; message?: string; detail?: unknown } = {}): RegistryError {
  return new RegistryError("UNAUTHORIZED", opts.message, {
    detail: opts.detail,
    headers: { "www-authenticate": challenge(req, opts.scope, opts.error) },
  });
}


/**
 * A user name with a password, or with one of that user's API tokens as the password
 * (so `skopeo --creds`, `docker login` and `podman login` take tokens). Null if neither matches.
 */
export async function verifyCredentials(db: PrismaClient, username: string, password: string): Promise<Principal | null> {
  if (!username || !password) return null;
  if (password.startsWith(TOKEN_PREFIX)) {
    const u = await userForToken(db, password);
    return u && u.name === username ? loadPrincipal(db, u) : null;
  }
  const user = await db.user.findUnique({ where: { name: username } });
  const ok = await verifyPassword(password, user?.passwordHash ?? null);
  return user && ok ? loadPrincipal(db, { ...user, readOnly: false }) : null;
}

export function parseBasic(header: string): { username: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Identifies the caller; bad credentials are refused here (401), never treated as anonymous. */
export async function identify(db: PrismaClient, key: Buffer, req: IncomingMessage): Promise<Caller> {
  const header = req.headers.authorization;
  if (!header) return { principal: ANONYMOUS, via: "none" };
  const basic = parseBasic(header);
  if (basic) {
    const p = await verifyCredentials(db, basic.username, basic.password);
    if (!p) throw unauthorized(req, { message: "invalid username or password" });
    return { principal: p, via: "basic" };
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (!bearer) throw unauthorized(req, { message: "unsupported authorization scheme", error: "invalid_request" });
  if (bearer.startsWith(TOKEN_PREFIX)) {
    const u = await userForToken(db, bearer);
    if (!u) throw unauthorized(req, { message: "invalid API token", error: "invalid_token" });
    return { principal: await loadPrincipal(db, u), via: "api-token" };
  }
  const v = verifyJwt(key, bearer, { aud: SERVICE });
  if (!v.ok) throw unauthorized(req, { message: v.reason === "expired" ? "token expired" : "invalid token", error: "invalid_token" });
  const c = v.claims;
  let principal: Principal = ANONYMOUS;
  if (c.uid) {
    // Current rights: a user deleted or demoted, or the API token it was made for revoked, since the token was issued loses them now.
    const p = await loadPrincipalById(db, c.uid, { readOnly: !!c.ro, teamId: typeof c.tid === "string" ? c.tid : null, tokenId: typeof c.tok === "string" ? c.tok : null });
    if (!p) throw unauthorized(req, { message: "invalid token", error: "invalid_token" });
    principal = p;
  }
  const granted = new Map<string, Set<Action>>();
  for (const a of parseScopes([c.scope])) {
    if (a.type === "repository") granted.set(a.name, new Set(ACTIONS.filter((x) => a.actions.includes(x))));
  }
  return { principal, granted, via: "bearer" };
}

const CHALLENGE_SCOPE: Record<Action, string> = { pull: "pull", push: "pull,push", delete: "delete" };

/**
 * Allows `action` on repository `name` or throws. A repository the caller cannot see gets
 * the same 401 whether it exists or not; one it sees but may not change gets 403 DENIED.
 */
export function authorize(req: IncomingMessage, caller: Caller, name: string, action: Action, repo: RepoAccessInfo | null): void {
  const held = heldActions(caller.principal, name, repo);
  const fromToken = caller.granted?.get(name);
  const allowed = caller.granted ? !!fromToken?.has(action) && held.has(action) : held.has(action);
  if (allowed) return;
  if (caller.principal.id && held.has("pull") && !held.has(action)) {
    throw new RegistryError("DENIED", `requested access to the resource is denied: ${action} on ${name}`, {
      detail: [{ Type: "repository", Name: name, Action: action }],
    });
  }
  throw unauthorized(req, {
    scope: `repository:${name}:${CHALLENGE_SCOPE[action]}`,
    error: caller.via === "none" ? undefined : "insufficient_scope",
    detail: [{ Type: "repository", Class: "", Name: name, Action: action }],
  });
}
