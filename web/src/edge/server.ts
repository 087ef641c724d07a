import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { EDGE_AUTH_PATH, EDGE_LINK_COOKIE, EDGE_SESSION_COOKIE, edgeHostName, edgeKeys, edgeRouteCandidates, edgeRouteKeyString, type EdgeRouteKey, type Logger } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import type { EdgeAuthorizer } from "./authorizer.js";
import { readCredentials, type EdgeCredentials } from "./credentials.js";
import { proxyHttp, proxyUpgrade, type Forwarding } from "./proxy.js";
import type { Inflight } from "./inflight.js";
import type { EdgeRoute, RouteTable } from "./routes.js";
import type { EdgeFreeze } from "./freeze.js";
import type { RequestLog } from "./request-log.js";
import type { AcmeChallenges } from "./acme.js";

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
  /** Request logs of named routes (previews, environments). */
  requestLog?: RequestLog;
  /** How long a replayable request to a named route waits for its upstream (default 30 s). */
  upstreamWaitMs?: number;
  /** ACME http-01 answers, served on any host before routing. */
  acme?: AcmeChallenges;
}

/**
 * What both listeners hand a request to: the plain HTTP port (node:http) and the TLS port
 * (node:http2 with HTTP/1.1 by ALPN, whose compatibility request/response stand in for these
 * types: tls.ts).
 */
export interface EdgeHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** A named route's key (the one whose request log gets the line), when the host named one. */
type Outcome = { pass: EdgeRouteKey; creds: EdgeCredentials } | { status: number; text: string; location?: string; cookie?: string; named?: EdgeRouteKey };

const SIGN_IN_SESSION_MAX_AGE_S = 30 * 24 * 3600;

/** The edge's plain HTTP server: link host names → containers, each request authorized by web's policy (cached) unless its named route is public. */
export function createEdgeServer(d: EdgeDeps): Server {
  const h = createEdgeHandlers(d, { tls: false });
  const server = createServer(h.request);
  server.on("upgrade", h.upgrade);
  server.keepAliveTimeout = 65_000;
  return server;
}

/** The host a request names: Host for HTTP/1.1, :authority for HTTP/2. */
const hostOf = (req: IncomingMessage): string => req.headers.host ?? (req.headers[":authority"] as string | undefined) ?? "";

const isNamed = (k: EdgeRouteKey) => k.kind === "preview" || k.kind === "environment";

/** How long a replayable request to a named route waits for its upstream to take connections again. */
const UPSTREAM_WAIT_MS = 30_000;

/** A request the edge may send again: a safe method and no body. */
const replayable = (req: IncomingMessage) =>
  (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") && !req.headers["transfer-encoding"] && (req.headers["content-length"] ?? "0") === "0";

export function createEdgeHandlers(d: EdgeDeps, o: { tls: boolean }): EdgeHandlers {
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
    const host = hostOf(req);
    // A custom domain (app.example.com) names its route outright; otherwise the host's shape does.
    const byDomain = d.routes.domainKey(host);
    const keys = byDomain ? [byDomain] : edgeRouteCandidates(host, d.domain);
    if (!keys.length) return { status: 404, text: `not a Berth link: links look like <name>-<port>--<team>.${d.domain}, <service>-<port>--<stack>--<team>.${d.domain}, <branch>--<project>--<team>.${d.domain} or a domain an environment serves` };
    const creds = readCredentials(req.headers, req.url ?? "/");
    const found = await d.routes.lookup(keys);
    // A public named route (production) is served with no call to web: it must not depend on web being up.
    const named = keys.find(isNamed);
    // Its upstream may have no address for a moment (a replica restarting): pass() waits for one.
    const publicKey = found ? found.key : named;
    if (publicKey && d.routes.namedRoute(publicKey)?.public) return { pass: publicKey, creds };
    // Web's policy knows routes by their generated names: a custom domain is asked about as that.
    const asked = byDomain ? edgeHostName(byDomain, d.domain) : host;
    const decision = await d.authorizer.decide({ host: asked, session: creds.session, token: creds.token, link: creds.link, linkFromQuery: creds.linkFromQuery });
    if (decision === "unavailable") return { status: 503, text: "Berth is restarting: try again in a moment" };
    if (!decision.allow) {
      if (decision.status === 401 && browser && !creds.token) {
        const back = `${o.tls ? "https" : "http"}://${host}${creds.cleanPath}`;
        const next = `/api/edge/return?to=${encodeURIComponent(back)}`;
        return { status: 302, text: "sign in to Berth", location: `${d.webPublicUrl}/?next=${encodeURIComponent(next)}` };
      }
      return { status: decision.status, text: decision.reason };
    }
    if (!found && named && d.routes.namedRoute(named)) return { pass: named, creds };
    if (!found) return { status: 502, text: `${notRunning(keys[0]!)} is not running (or has no address yet)`, ...(named && { named }) };
    if (creds.linkFromQuery && browser) {
      // The query form works once: from now on the browser carries the secret as this host's cookie.
      const cookie = `${EDGE_LINK_COOKIE}=${creds.link}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${decision.linkMaxAgeS ?? 3600}`;
      return { status: 302, text: "link accepted", location: creds.cleanPath, cookie };
    }
    return { pass: found.key, creds };
  }

  const forwarding = (req: IncomingMessage, creds: EdgeCredentials): Forwarding => ({
    cookie: creds.appCookie,
    dropAuthorization: creds.authorizationIsBerths,
    path: creds.cleanPath,
    clientIp: req.socket.remoteAddress ?? "",
    host: hostOf(req),
    proto: o.tls ? "https" : undefined,
    sent: 0,
  });

  /** One line in the named route's request log when the exchange ends (only named routes keep logs). */
  const logWhenDone = (key: EdgeRouteKey | undefined, req: IncomingMessage, start: number, ends: NodeJS.EventEmitter, status: () => number, bytes: () => number, upstream?: () => string | undefined) => {
    const rl = d.requestLog;
    if (!rl || !key || !isNamed(key)) return;
    ends.once("close", () =>
      rl.write(edgeRouteKeyString(key), {
        at: new Date().toISOString(),
        method: req.method ?? "",
        host: hostOf(req),
        // Without a ?berth_link= secret: logs are read by more people than hold the link.
        path: readCredentials({}, req.url ?? "/").cleanPath.slice(0, 2048),
        status: status(),
        bytes: bytes(),
        ms: Math.round((performance.now() - start) * 100) / 100,
        http: req.httpVersion,
        tls: o.tls,
        ip: req.socket.remoteAddress ?? "",
        ...(upstream?.() && { upstream: upstream()!.slice(0, 12) }),
      }),
    );
  };

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

  /**
   * Proxies to the route's upstream as the table has it at each attempt. A named route (a deployed
   * app) whose upstream has no address or refuses the connection is tried again for a while
   * when the request can be replayed (no body, a safe method): while its replica restarts or a
   * deploy moves it, the client sees a slower answer, not an error.
   */
  const pass = (req: IncomingMessage, res: ServerResponse, key: EdgeRouteKey, creds: EdgeCredentials, start: number): void => {
    const fwd = forwarding(req, creds);
    let upstream: string | undefined;
    logWhenDone(key, req, start, res, () => (res.headersSent ? res.statusCode : 0), () => fwd.sent, () => upstream);
    const until = Date.now() + (isNamed(key) && replayable(req) ? (d.upstreamWaitMs ?? UPSTREAM_WAIT_MS) : 0);
    let delay = 50;
    const again = (): boolean => {
      if (Date.now() + delay > until || res.destroyed || res.writableEnded) return false;
      setTimeout(attempt, delay).unref();
      delay = Math.min(delay * 2, 1_000);
      return true;
    };
    const attempt = (): void => {
      if (res.destroyed || res.writableEnded) return;
      const t = take(key);
      if (!t) {
        if (!again()) {
          req.resume();
          plain(res, 502, `${notRunning(key)} is not running (or has no address yet)`);
        }
        return;
      }
      upstream = t.route.containerId;
      res.once("close", t.release);
      const retry = () => {
        t.release();
        return again();
      };
      held(t.route, res, () => proxyHttp(req, res, t.route, fwd, d.log, retry)).catch((err: unknown) => {
        d.log.warn({ err: (err as Error).message }, "edge: thawing a frozen stack failed");
        if (!res.headersSent) plain(res, 503, `the stack was frozen and could not be thawed: ${(err as Error).message}`);
      });
    };
    attempt();
  };

  const request = (req: IncomingMessage, res: ServerResponse): void => {
    const pathname = (req.url ?? "/").split("?", 1)[0];
    if (pathname === EDGE_AUTH_PATH && edgeRouteCandidates(hostOf(req), d.domain).length) {
      void finishSignIn(req, res).catch((err: unknown) => plain(res, 503, `sign-in failed: ${(err as Error).message}`));
      return;
    }
    const start = performance.now();
    const answer = d.acme?.answer(pathname ?? "");
    if (answer) {
      req.resume();
      return void res.writeHead(200, { "content-type": "application/octet-stream", "cache-control": "no-store" }).end(answer);
    }
    const browser = (req.method === "GET" || req.method === "HEAD") && /text\/html/.test(req.headers.accept ?? "");
    decide(req, browser).then(
      (o) => {
        if ("pass" in o) return pass(req, res, o.pass, o.creds, start);
        req.resume();
        const status = o.status;
        logWhenDone(o.named, req, start, res, () => status, () => 0);
        plain(res, o.status, o.text, { ...(o.location && { location: o.location }), ...(o.cookie && { "set-cookie": o.cookie }) });
      },
      (err: unknown) => {
        d.log.error({ err }, "edge: request failed");
        if (!res.headersSent) plain(res, 500, "internal error in Berth's edge");
      },
    );
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const start = performance.now();
    socket.on("error", () => {});
    decide(req, false).then(
      (o) => {
        if ("pass" in o) {
          const t = take(o.pass);
          if (t) {
            const fwd = forwarding(req, o.creds);
            socket.once("close", t.release);
            logWhenDone(o.pass, req, start, socket, () => fwd.upgradeStatus ?? 0, () => fwd.sent, () => t.route.containerId);
            return held(t.route, socket, () => proxyUpgrade(req, socket, head, t.route, fwd, d.log)).catch(() => socket.destroy());
          }
          o = { status: 502, text: `${notRunning(o.pass)} is not running (or has no address yet)` };
        }
        socket.end(`HTTP/1.1 ${o.status} ${o.status === 401 ? "Unauthorized" : o.status === 403 ? "Forbidden" : o.status === 404 ? "Not Found" : "Error"}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${o.text}\n`);
      },
      () => socket.destroy(),
    );
  };
  return { request, upgrade };
}

function notRunning(k: EdgeRouteKey): string {
  if (k.kind === "environment") return `the ${k.env} environment of ${k.project}`;
  return k.kind === "container" ? k.container : k.kind === "stack" ? `service ${k.service} of stack ${k.stack}` : `the preview of ${k.project} for branch ${k.branch}`;
}
