/**
 * GET /v2/token (Docker's token protocol) and POST /v2/token (its OAuth2 password grant):
 * Basic auth with a password or an API token, or nothing (anonymous). The signed token
 * carries only the requested scopes the caller holds.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { TOKEN_PREFIX, userForToken } from "../auth/index.js";
import { ANONYMOUS, grant, heldActions, parseScopes, type Principal } from "./access.js";
import { parseBasic, SERVICE, verifyCredentials } from "./auth.js";
import { RegistryError } from "./errors.js";
import { readBody, sendJson } from "./http.js";
import { signJwt, type Access } from "./jwt.js";
import { findRepoRef } from "./repos.js";
import { loadPrincipal } from "./principal.js";
import { isRepoName } from "./names.js";

export const TOKEN_TTL_SEC = 300;
const MAX_SCOPES = 64;

/** Failed logins per client address: at most FAIL_LIMIT a minute, then 429. */
const FAIL_LIMIT = 20;
const FAIL_WINDOW_MS = 60_000;

export class FailureLimiter {
  private readonly fails = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private readonly limit = FAIL_LIMIT,
    private readonly windowMs = FAIL_WINDOW_MS,
  ) {}
  blocked(key: string, now = Date.now()): number {
    const f = this.fails.get(key);
    if (!f || f.resetAt <= now) return 0;
    return f.count >= this.limit ? Math.ceil((f.resetAt - now) / 1000) : 0;
  }
  fail(key: string, now = Date.now()): void {
    const f = this.fails.get(key);
    if (!f || f.resetAt <= now) this.fails.set(key, { count: 1, resetAt: now + this.windowMs });
    else f.count++;
    if (this.fails.size > 10_000) for (const [k, v] of this.fails) if (v.resetAt <= now) this.fails.delete(k);
  }
  clear(key: string): void {
    this.fails.delete(key);
  }
}

export interface TokenDeps {
  db: PrismaClient;
  key: Buffer;
  limiter: FailureLimiter;
  log: Logger;
}

/** The access a principal gets for the requested scopes. */
export async function accessFor(db: PrismaClient, p: Principal, scopeParams: string[]): Promise<Access[]> {
  const out: Access[] = [];
  for (const s of parseScopes(scopeParams).slice(0, MAX_SCOPES)) {
    if (s.type === "repository") {
      if (!isRepoName(s.name)) continue;
      const repo = findRepoRef(db, s.name);
      const actions = grant(s.actions, heldActions(p, s.name, repo));
      if (actions.length) out.push({ type: "repository", name: s.name, actions });
    } else if (s.type === "registry" && s.name === "catalog") {
      // Everyone may list the catalog; it shows each caller only what they can see.
      out.push({ type: "registry", name: "catalog", actions: ["*"] });
    }
  }
  return out;
}

export function issueToken(key: Buffer, p: Principal, access: Access[], nowSec = Math.floor(Date.now() / 1000), ttlSec = TOKEN_TTL_SEC): { token: string; expiresIn: number; issuedAt: string } {
  const token = signJwt(key, {
    aud: SERVICE,
    ...(p.id ? { uid: p.id } : {}),
    ...(p.readOnly ? { ro: true } : {}),
    ...(p.limitedTo ? { tid: p.limitedTo } : {}),
    ...(p.tokenId ? { tok: p.tokenId } : {}),
    iat: nowSec,
    exp: nowSec + ttlSec,
    scope: access.map((a) => `${a.type}:${a.name}:${a.actions.join(",")}`).join(" "),
  });
  return { token, expiresIn: ttlSec, issuedAt: new Date(nowSec * 1000).toISOString() };
}

function clientKey(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? "unknown";
}

export async function handleToken(deps: TokenDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const { db, key, limiter } = deps;
  let username: string | undefined;
  let password: string | undefined;
  let scopes = url.searchParams.getAll("scope");

  if (req.method === "POST") {
    const form = new URLSearchParams((await readBody(req, 64 * 1024)).toString("utf8"));
    const grantType = form.get("grant_type");
    if (grantType !== "password") {
      return sendJson(res, 400, { error: "unsupported_grant_type", error_description: "only grant_type=password is supported" });
    }
    username = form.get("username") ?? undefined;
    password = form.get("password") ?? undefined;
    scopes = [...scopes, ...form.getAll("scope")];
  } else if (req.method === "GET") {
    const header = req.headers.authorization;
    if (header) {
      const basic = parseBasic(header);
      if (basic) ({ username, password } = basic);
      else {
        const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
        if (bearer?.startsWith(TOKEN_PREFIX)) {
          username = "";
          password = bearer;
        } else throw new RegistryError("UNAUTHORIZED", "the token endpoint takes Basic auth (user name and password or API token)");
      }
    }
  } else {
    throw new RegistryError("UNSUPPORTED", `${req.method} is not supported on /v2/token`, { headers: { allow: "GET, POST" } });
  }

  let principal: Principal = ANONYMOUS;
  if (password !== undefined) {
    const who = clientKey(req);
    const wait = limiter.blocked(who);
    if (wait) throw new RegistryError("TOOMANYREQUESTS", "too many failed logins: try again later", { headers: { "retry-after": String(wait) } });
    const p =
      username === "" && password.startsWith(TOKEN_PREFIX)
        ? await userForToken(db, password).then((u) => (u ? loadPrincipal(db, u) : null))
        : await verifyCredentials(db, username ?? "", password);
    if (!p) {
      limiter.fail(who);
      throw new RegistryError("UNAUTHORIZED", "invalid username or password", { headers: { "www-authenticate": 'Basic realm="berth"' } });
    }
    principal = p;
  }

  const access = await accessFor(db, principal, scopes);
  const t = issueToken(key, principal, access);
  deps.log.info({ user: principal.name ?? "(anonymous)", access: access.map((a) => `${a.type}:${a.name}:${a.actions.join(",")}`) }, "registry token issued");
  sendJson(res, 200, { token: t.token, access_token: t.token, expires_in: t.expiresIn, issued_at: t.issuedAt }, { "cache-control": "no-store" });
}
