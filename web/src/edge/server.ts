import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { EDGE_AUTH_PATH, EDGE_LINK_COOKIE, EDGE_SESSION_COOKIE, edgeKeys, edgeRouteCandidates, type EdgeDecision, type EdgeRouteKey, type Logger } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import type { EdgeAuthorizer } from "./authorizer.js";
import { readCredentials, type EdgeCredentials } from "./credentials.js";
import { proxyHttp, proxyUpgrade, type Forwarding } from "./proxy.js";
import type { Inflight } from "./inflight.js";
import type { EdgeRoute, RouteTable } from "./routes.js";
import type { EdgeFreeze } from "./freeze.js";

export interface EdgeDeps {
  domain: string;
  /** Where browsers sign in (config().url). */
  webPublicUrl: string;
  routes: RouteTable;
  /** Requests in flight per upstream: what lets a switched route's old upstream drain. */
  inflight: Inflight;
  authorizer: EdgeAuthorizer;
  redis: Redis;
  log: Logger;
  /** Idle freeze: records last requests, holds a request while its frozen stack thaws. */
  freeze?: EdgeFreeze;
}

type Outcome = { pass: EdgeRouteKey; creds: EdgeCredentials; decision: EdgeDecision & { allow: true } } | { status: number; text: string; location?: string; cookie?: string };

const SIGN_IN_SESSION_MAX_AGE_S = 30 * 24 * 3600;

/** The edge's HTTP server: link host names → containers, each request authorized by web's policy (cached). */
export function createEdgeServer(d: EdgeDeps): Server {
  const plain = (res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...extra });
    res.end(`${text}\n`);
  };

  /** Passes the request on once its container is not frozen (freeze.ts); it counts as in flight until `ends` closes. */
  const held = async (route: EdgeRoute, ends: NodeJS.EventEmitter, go: () => void): Promise<void> => {
    if (d.freeze) ends.once("close", await d.freeze.hold(route.containerId));
    go();
  };

  async function decide(req: IncomingMessage, browser: boolean): Promise<Outcome> {
    const host = req.headers.host ?? "";
    const keys = edgeRouteCandidates(host, d.domain);
    if (!keys.length) return { status: 404, text: `not a Berth link: links look like <name>-<port>--<team>.${d.domain}, <service>-<port>--<stack>--<team>.${d.domain} or <branch>--<project>--<team>.${d.domain}` };
    const creds = readCredentials(req.headers, req.url ?? "/");
    const found = await d.routes.lookup(keys);
    const decision = await d.authorizer.decide({ host, session: creds.session, token: creds.token, link: creds.link, linkFromQuery: creds.linkFromQuery });
    if (decision === "unavailable") return { status: 503, text: "Berth is restarting: try again in a moment" };
    if (!decision.allow) {
      if (decision.status === 401 && browser && !creds.token) {
        const back = `http://${host}${creds.cleanPath}`;
        const next = `/api/edge/return?to=${encodeURIComponent(back)}`;
        return { status: 302, text: "sign in to Berth", location: `${d.webPublicUrl}/?next=${encodeURIComponent(next)}` };
      }
      return { status: decision.status, text: decision.reason };
    }
    if (!found) return { status: 502, text: `${notRunning(keys[0]!)} is not running (or has no address yet)` };
    if (creds.linkFromQuery && browser) {
      // The query form works once: from now on the browser carries the secret as this host's cookie.
      const cookie = `${EDGE_LINK_COOKIE}=${creds.link}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${decision.linkMaxAgeS ?? 3600}`;
      return { status: 302, text: "link accepted", location: creds.cleanPath, cookie };
    }
    return { pass: found.key, creds, decision };
  }

  const forwarding = (req: IncomingMessage, creds: EdgeCredentials): Forwarding => ({
    cookie: creds.appCookie,
    dropAuthorization: creds.authorizationIsBerths,
    path: creds.cleanPath,
    clientIp: req.socket.remoteAddress ?? "",
    host: req.headers.host ?? "",
  });

  async function finishSignIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://edge");
    const code = url.searchParams.get("code") ?? "";
    const next = url.searchParams.get("next") ?? "/";
    const session = code ? await d.redis.getdel(edgeKeys.signInCode(code)) : null;
    if (!session) return plain(res, 400, "this sign-in code is unknown or was used: open the link again");
    const safeNext = next.startsWith("/") && !next.startsWith("//") ? next : "/";
    res.writeHead(302, { location: safeNext, "cache-control": "no-store", "set-cookie": `${EDGE_SESSION_COOKIE}=${session}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SIGN_IN_SESSION_MAX_AGE_S}` });
    res.end();
  }

  /**
   * The route as the table has it now, counted in flight in the same tick: a switch that lands
   * while a request waited for its authorization sends it to the new upstream, and one that
   * lands later sees it counted on the old one until it ends.
   */
  const take = (key: EdgeRouteKey): { route: EdgeRoute; release: () => void } | null => {
    const route = d.routes.find(key);
    return route ? { route, release: d.inflight.acquire(route.containerId) } : null;
  };

  const server = createServer((req, res) => {
    const pathname = (req.url ?? "/").split("?", 1)[0];
    if (pathname === EDGE_AUTH_PATH && edgeRouteCandidates(req.headers.host ?? "", d.domain).length) {
      void finishSignIn(req, res).catch((err: unknown) => plain(res, 503, `sign-in failed: ${(err as Error).message}`));
      return;
    }
    const browser = (req.method === "GET" || req.method === "HEAD") && /text\/html/.test(req.headers.accept ?? "");
    decide(req, browser).then(
      (o) => {
        if ("pass" in o) {
          const t = take(o.pass);
          if (t) {
            const fwd = forwarding(req, o.creds);
            res.once("close", t.release);
            return held(t.route, res, () => proxyHttp(req, res, t.route, fwd, d.log)).catch((err: unknown) => {
              d.log.warn({ err: (err as Error).message }, "edge: thawing a frozen stack failed");
              if (!res.headersSent) plain(res, 503, `the stack was frozen and could not be thawed: ${(err as Error).message}`);
            });
          }
          o = { status: 502, text: `${notRunning(o.pass)} is not running (or has no address yet)` };
        }
        req.resume();
        plain(res, o.status, o.text, { ...(o.location && { location: o.location }), ...(o.cookie && { "set-cookie": o.cookie }) });
      },
      (err: unknown) => {
        d.log.error({ err }, "edge: request failed");
        if (!res.headersSent) plain(res, 500, "internal error in Berth's edge");
      },
    );
  });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => {});
    decide(req, false).then(
      (o) => {
        if ("pass" in o) {
          const t = take(o.pass);
          if (t) {
            const fwd = forwarding(req, o.creds);
            socket.once("close", t.release);
            return held(t.route, socket, () => proxyUpgrade(req, socket, head, t.route, fwd, d.log)).catch(() => socket.destroy());
          }
          o = { status: 502, text: `${notRunning(o.pass)} is not running (or has no address yet)` };
        }
        socket.end(`HTTP/1.1 ${o.status} ${o.status === 401 ? "Unauthorized" : o.status === 403 ? "Forbidden" : o.status === 404 ? "Not Found" : "Error"}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${o.text}\n`);
      },
      () => socket.destroy(),
    );
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

function notRunning(k: EdgeRouteKey): string {
  if (k.kind === "environment") return `the ${k.env} environment of ${k.project}`;
  return k.kind === "container" ? k.container : k.kind === "stack" ? `service ${k.service} of stack ${k.stack}` : `the preview of ${k.project} for branch ${k.branch}`;
}
