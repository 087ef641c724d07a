import type { IncomingMessage, ServerResponse } from "node:http";
import { config, EdgeAuthorizeRequest, EdgeThawRequest, EDGE_AUTH_PATH, EDGE_THAW_PATH, edgeRouteCandidates, type EdgeDecision } from "@berth/core";
import { authenticate, createSession, userForSession, userForToken, type AuthUser } from "../auth/index.js";
import { keyMatches, ensureAgentKey } from "../agent/key.js";
import { sendJson } from "../errors.js";
import { actorFor, edgeVerdict, type Actor } from "../policy/index.js";
import type { Services } from "../services.js";
import { checkCapability, createSignInCode, getVisibility } from "./links.js";
import { findLinkTargetOf } from "./target.js";
import { thawStackOf } from "../stacks/freeze.js";

/** The secret the edge presents (the host's agent key: the edge runs beside web on this host). */
export const EDGE_KEY_HEADER = "x-berth-edge-key";
const ALLOW_TTL_MS = 5_000;
const DENY_TTL_MS = 2_000;

/**
 * web's side of the edge: `POST /api/edge/authorize` answers whether one request may pass (the
 * edge caches the answer briefly), `GET /api/edge/return?to=URL` finishes a browser's sign-in by
 * handing a session to the link's host through a one-time code.
 */
export function edgeHttpHandler(s: Services): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  const cfg = config();
  const key = ensureAgentKey(cfg.home);
  return (req, res, pathname) => {
    if (pathname === "/api/edge/authorize") {
      if (req.method !== "POST") return (sendJson(res, 405, { error: "POST only" }), true);
      if (!keyMatches(key, req.headers[EDGE_KEY_HEADER])) return (sendJson(res, 403, { error: "edge key required" }), true);
      void readJson(req)
        .then((body) => authorizeEdge(s, EdgeAuthorizeRequest.parse(body)))
        .then((d) => sendJson(res, 200, d))
        .catch((err: unknown) => {
          s.log.warn({ err: (err as Error).message }, "edge authorize failed");
          if (!res.headersSent) sendJson(res, 400, { error: (err as Error).message });
        });
      return true;
    }
    if (pathname === EDGE_THAW_PATH) {
      // Idle freeze: the edge holds a request for a frozen stack's container until this answers.
      if (req.method !== "POST") return (sendJson(res, 405, { error: "POST only" }), true);
      if (!keyMatches(key, req.headers[EDGE_KEY_HEADER])) return (sendJson(res, 403, { error: "edge key required" }), true);
      void readJson(req)
        .then((body) => thawStackOf(s, EdgeThawRequest.parse(body).containerId))
        .then(() => sendJson(res, 200, { thawed: true }))
        .catch((err: unknown) => {
          s.log.warn({ err: (err as Error).message }, "edge thaw failed");
          if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
        });
      return true;
    }
    if (pathname === "/api/edge/return") {
      void signInReturn(s, req, res).catch((err: unknown) => {
        s.log.warn({ err: (err as Error).message }, "edge sign-in return failed");
        if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      });
      return true;
    }
    return false;
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 16 * 1024) throw new Error("authorize body too large");
    chunks.push(c);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

export async function authorizeEdge(s: Services, q: EdgeAuthorizeRequest): Promise<EdgeDecision> {
  const cfg = config();
  const deny = (status: 401 | 403 | 404, reason: string): EdgeDecision => ({ allow: false, status, reason, ttlMs: DENY_TTL_MS });
  const keys = edgeRouteCandidates(q.host, cfg.domain);
  if (!keys.length) return deny(404, `not a link host (<name>-<port>--<team>.${cfg.domain})`);
  const target = await findLinkTargetOf(s.db, keys);
  if (!target) return deny(404, "no such link");
  const visibility = await getVisibility(s.redis, target.linkId, target.port, target.defaultVisibility);
  let capability = false;
  let linkMaxAgeS: number | undefined;
  if (q.link) {
    const c = await checkCapability(s.redis, q.link, target.linkId, target.port, q.linkFromQuery);
    if (c.ok) [capability, linkMaxAgeS] = [true, c.maxAgeS];
    else if (visibility !== "public" && !q.session && !q.token) return deny(403, c.reason);
  }
  let user: AuthUser | null = null;
  if (!capability && visibility !== "public") user = q.token ? await userForToken(s.db, q.token) : q.session ? await userForSession(s.db, q.session) : null;
  let actor: Actor | null = null;
  if (user) actor = await actorFor(s.db, user, target.teamName).catch(() => null);
  const v = edgeVerdict({ visibility, capability, signedIn: user !== null, actor, containerTeamId: target.teamId });
  if (!v.allow) return deny(v.status, v.reason);
  const ttlMs = linkMaxAgeS !== undefined ? Math.min(ALLOW_TTL_MS, linkMaxAgeS * 1000) : ALLOW_TTL_MS;
  return { allow: true, containerId: target.containerId, port: target.port, ttlMs, ...(linkMaxAgeS !== undefined && { linkMaxAgeS }) };
}

async function signInReturn(s: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const cfg = config();
  const self = new URL(req.url ?? "/", "http://berth");
  const to = safeLinkUrl(self.searchParams.get("to"), cfg.domain);
  if (!to) return sendJson(res, 400, { error: `?to= must be a port link URL under ${cfg.domain}` });
  const user = await authenticate(s.db, { cookie: req.headers.cookie });
  if (!user) {
    res.writeHead(302, { location: `/?next=${encodeURIComponent(`${self.pathname}${self.search}`)}`, "cache-control": "no-store" }).end();
    return;
  }
  const session = await createSession(s.db, user.id);
  const code = await createSignInCode(s.redis, session.token);
  const back = new URL(EDGE_AUTH_PATH, to.origin);
  back.searchParams.set("code", code);
  back.searchParams.set("next", `${to.pathname}${to.search}`);
  res.writeHead(302, { location: back.toString(), "cache-control": "no-store" }).end();
}

function safeLinkUrl(raw: string | null, domain: string): URL | null {
  if (!raw) return null;
  try {
    const u = new URL(raw);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return edgeRouteCandidates(u.host, domain).length ? u : null;
  } catch {
    return null;
  }
}
