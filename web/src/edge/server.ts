import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { EDGE_AUTH_PATH, EDGE_LINK_COOKIE, EDGE_SESSION_COOKIE, edgeHostName, edgeKeys, edgeRouteCandidates, edgeRouteKeyString, type EdgeAuthorizeRequest, type EdgeRouteKey, type Logger } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import type { EdgeAuthorizer } from "./authorizer.js";
import type { EdgeDecision } from "@berth/core";
import { readCredentials, type EdgeCredentials } from "./credentials.js";
import { proxyHttp, proxyUpgrade, type Forwarding } from "./proxy.js";
import type { Inflight } from "./inflight.js";
import type { EdgeRoute, RouteTable } from "./routes.js";
import type { EdgeFreeze } from "./freeze.js";
import type { RequestLog } from "./request-log.js";
import type { AcmeChallenges } from "./acme.js";
import type { FastPathGrants, GrantRenewal } from "./fastpath.js";

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
  /** The native fast path in front of the plain port: a request it handed over may leave it a grant. */
  fastpath?: FastPathGrants;
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
type Outcome = { pass: EdgeRouteKey; creds: EdgeCredentials; freshUntil?: number; asked?: EdgeAuthorizeRequest } | { status: number; text: string; location?: string; cookie?: string; named?: EdgeRouteKey };

const noop = () => {};

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

  /** Route keys by Host header (a pure function of the host): parsed once, not on every request. */
  const candidates = new Map<string, EdgeRouteKey[]>();
  const candidatesOf = (host: string): EdgeRouteKey[] => {
    let keys = candidates.get(host);
    if (!keys) {
      if (candidates.size >= 10_000) candidates.clear();
      keys = edgeRouteCandidates(host, d.domain);
      candidates.set(host, keys);
    }
    return keys;
  };

  /**
   * What to do with a request: synchronous on the common path (the route in the table, a public
   * route or a cached policy answer), a promise only when the table or web must be asked.
   */
  function decide(req: IncomingMessage, browser: boolean): Outcome | Promise<Outcome> {
    const host = hostOf(req);
    // A custom domain (app.example.com) names its route outright; otherwise the host's shape does.
    const byDomain = d.routes.domainKey(host);
    const keys = byDomain ? [byDomain] : candidatesOf(host);
    if (!keys.length) return { status: 404, text: `not a Berth link: links look like <name>-<port>--<team>.${d.domain}, <service>-<port>--<stack>--<team>.${d.domain}, <branch>--<project>--<team>.${d.domain} or a domain an environment serves` };
    const creds = readCredentials(req.headers, req.url ?? "/");
    const found = d.routes.lookupNow(keys);
    const next = (f: typeof found) => decideFor(host, byDomain, keys, creds, f, browser);
    return found ? next(found) : d.routes.lookup(keys).then(next);
  }

  function decideFor(host: string, byDomain: EdgeRouteKey | null, keys: EdgeRouteKey[], creds: EdgeCredentials, found: { key: EdgeRouteKey } | null, browser: boolean): Outcome | Promise<Outcome> {
    // A public named route (production) is served with no call to web: it must not depend on web being up.
    const named = keys.find(isNamed);
    // Its upstream may have no address for a moment (a replica restarting): pass() waits for one.
    const publicKey = found ? found.key : named;
    if (publicKey && d.routes.namedRoute(publicKey)?.public) return { pass: publicKey, creds };
    // Web's policy knows routes by their generated names: a custom domain is asked about as that.
    const asked = byDomain ? edgeHostName(byDomain, d.domain) : host;
    const q = { host: asked, session: creds.session, token: creds.token, link: creds.link, linkFromQuery: creds.linkFromQuery };
    const then = (decision: EdgeDecision | "unavailable"): Outcome => {
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
      if (!found) return { status: 502, text: notRunning(keys[0]!), ...(named && { named }) };
      if (creds.linkFromQuery && browser) {
        // The query form works once: from now on the browser carries the secret as this host's cookie.
        const cookie = `${EDGE_LINK_COOKIE}=${creds.link}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${decision.linkMaxAgeS ?? 3600}`;
        return { status: 302, text: "link accepted", location: creds.cleanPath, cookie };
      }
      // Until when the fast path may replay this answer: no longer than the authorizer keeps it fresh.
      return { pass: found.key, creds, freshUntil: d.authorizer.freshUntil(q), asked: q };
    };
    const cached = d.authorizer.cached(q);
    return cached ? then(cached) : d.authorizer.decide(q).then(then);
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
  const logWhenDone = (key: EdgeRouteKey | undefined, req: IncomingMessage, creds: EdgeCredentials | undefined, start: number, ends: NodeJS.EventEmitter, status: () => number, bytes: () => number, upstream?: () => string | undefined) => {
    const rl = d.requestLog;
    if (!rl || !key || !isNamed(key)) return;
    ends.once("close", () =>
      rl.write(edgeRouteKeyString(key), {
        at: new Date().toISOString(),
        method: req.method ?? "",
        host: hostOf(req),
        // Without a ?berth_link= secret: logs are read by more people than hold the link.
        path: (creds ?? readCredentials({}, req.url ?? "/")).cleanPath.slice(0, 2048),
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
   * Sends a request to the route's upstream as the table has it at each attempt. A named route
   * (a deployed app) whose upstream has no address, or does not take the connection, is tried
   * again for a while (`waitMs`): while its replica restarts or a deploy moves it, the client
   * sees a slower answer, not an error. `send` gets the route and the `again` to call when its
   * attempt failed in a way that may be retried (it says whether another attempt is coming).
   */
  const attempts = (key: EdgeRouteKey, ends: NodeJS.EventEmitter, gone: () => boolean, waitMs: number, send: (route: EdgeRoute, again: () => boolean) => void, fail: (status: number, text: string) => void, onUpstream?: (id: string) => void): void => {
    const until = Date.now() + waitMs;
    let delay = 50;
    const later = (): boolean => {
      if (Date.now() + delay > until || gone()) return false;
      setTimeout(attempt, delay).unref();
      delay = Math.min(delay * 2, 1_000);
      return true;
    };
    let lookedAgain = false;
    const attempt = (): void => {
      if (gone()) return;
      const t = take(key);
      if (!t) {
        // Missing now (gone since the decision, or a named route with no address yet): asked once
        // of a table read from now on (a load that raced a change is not the last word).
        if (!lookedAgain) {
          lookedAgain = true;
          return void d.routes.lookup([key]).then(attempt, () => fail(502, notRunning(key)));
        }
        if (!later()) fail(502, notRunning(key));
        return;
      }
      onUpstream?.(t.route.containerId);
      let unfreeze: (() => void) | undefined;
      const release = () => {
        t.release();
        unfreeze?.();
      };
      ends.once("close", release);
      const go = (u: () => void) => {
        unfreeze = u;
        send(t.route, () => {
          // This attempt is over: its counts go now, not when the client leaves.
          ends.off("close", release);
          release();
          return later();
        });
      };
      // Idle freeze: counted at once, unless the container is frozen: then once web has thawed it.
      const now = d.freeze ? d.freeze.enter(t.route.containerId) : noop;
      if (now) return go(now);
      d.freeze!.hold(t.route.containerId).then(
        (u) => (gone() ? u() : go(u)),
        (err: unknown) => {
          d.log.warn({ err: (err as Error).message }, "edge: thawing a frozen stack failed");
          fail(503, `the stack was frozen and could not be thawed: ${(err as Error).message}`);
        },
      );
    };
    attempt();
  };

  /**
   * A fast-path grant for `key` decided again (the fast path asks while the grant is in use, past
   * half its life or stale): web is asked now, and the grant lasts as long as its fresh answer;
   * null refuses it (web said no, or a change since voids it); "unavailable" when web gave no
   * fresh answer, which decides nothing (the grant expires).
   */
  const renewGrant = async (key: EdgeRouteKey, q: EdgeAuthorizeRequest): Promise<GrantRenewal> => {
    const fp = d.fastpath;
    if (!fp || q.linkFromQuery) return null;
    const generation = fp.generation;
    const decision = await d.authorizer.refresh(q);
    if (decision === "unavailable") return decision;
    if (!decision.allow || generation !== fp.generation) return null;
    const until = d.authorizer.freshUntil(q);
    if (!until) return "unavailable";
    const route = d.routes.find(key);
    return route ? { containerId: route.containerId, ip: route.ip, port: route.port, until, generation } : null;
  };

  const waitFor = (key: EdgeRouteKey) => (isNamed(key) ? (d.upstreamWaitMs ?? UPSTREAM_WAIT_MS) : 0);

  const pass = (req: IncomingMessage, res: ServerResponse, key: EdgeRouteKey, creds: EdgeCredentials, start: number, grant?: { until: number; generation: number; asked?: EdgeAuthorizeRequest }): void => {
    const fwd = forwarding(req, creds);
    let upstream: string | undefined;
    logWhenDone(key, req, creds, start, res, () => (res.headersSent ? res.statusCode : 0), () => fwd.sent, () => upstream);
    const again = replayable(req);
    attempts(
      key,
      res,
      () => res.destroyed || res.writableEnded,
      waitFor(key),
      // Sent again: a request the app never saw (its connection was not made), or a replayable one.
      (route, later) => {
        // Port links only: named routes count requests in flight and log them, which only this process does.
        if (grant && !isNamed(key)) {
          const asked = grant.asked;
          fwd.grant = d.fastpath?.grantHeader({ until: grant.until, generation: grant.generation, containerId: route.containerId, ip: route.ip, port: route.port }, asked && (() => renewGrant(key, asked))) ?? undefined;
        }
        proxyHttp(req, res, route, fwd, d.log, (why) => (!why.reached || again) && later());
      },
      (status, text) => {
        if (res.headersSent) return;
        req.resume();
        plain(res, status, text);
      },
      (id) => (upstream = id),
    );
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
    // A change (route, policy, freeze) while this request is decided voids what it could grant.
    const generation = d.fastpath?.via(req.socket) ? d.fastpath.generation : undefined;
    const done = (o: Outcome) => {
      if ("pass" in o) return pass(req, res, o.pass, o.creds, start, generation !== undefined && o.freshUntil ? { until: o.freshUntil, generation, asked: o.asked } : undefined);
      req.resume();
      const status = o.status;
      logWhenDone(o.named, req, undefined, start, res, () => status, () => 0);
      plain(res, o.status, o.text, { ...(o.location && { location: o.location }), ...(o.cookie && { "set-cookie": o.cookie }) });
    };
    const failed = (err: unknown) => {
      d.log.error({ err }, "edge: request failed");
      if (!res.headersSent) plain(res, 500, "internal error in Berth's edge");
    };
    try {
      const o = decide(req, browser);
      if (o instanceof Promise) o.then(done).catch(failed);
      else done(o);
    } catch (err) {
      failed(err);
    }
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const start = performance.now();
    socket.on("error", () => {});
    const done = (o: Outcome): void => {
      if ("pass" in o) {
        const key = o.pass;
        const fwd = forwarding(req, o.creds);
        let upstream: string | undefined;
        logWhenDone(key, req, o.creds, start, socket, () => fwd.upgradeStatus ?? 0, () => fwd.sent, () => upstream);
        return attempts(
          key,
          socket,
          () => socket.destroyed,
          waitFor(key),
          (route, later) => proxyUpgrade(req, socket, head, route, fwd, d.log, later),
          (status, text) => {
            if (socket.writable) socket.end(`HTTP/1.1 ${status} ${status === 503 ? "Service Unavailable" : "Bad Gateway"}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${text}\n`);
          },
          (id) => (upstream = id),
        );
      }
      socket.end(`HTTP/1.1 ${o.status} ${o.status === 401 ? "Unauthorized" : o.status === 403 ? "Forbidden" : o.status === 404 ? "Not Found" : "Error"}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${o.text}\n`);
    };
    try {
      const o = decide(req, false);
      if (o instanceof Promise) o.then(done).catch(() => socket.destroy());
      else done(o);
    } catch {
      socket.destroy();
    }
  };
  return { request, upgrade };
}

/** What a link whose route has no running upstream answers. */
function notRunning(k: EdgeRouteKey): string {
  const what =
    k.kind === "environment" ? `the ${k.env} environment of ${k.project}` : k.kind === "container" ? k.container : k.kind === "stack" ? `service ${k.service} of stack ${k.stack}` : `the preview of ${k.project} for branch ${k.branch}`;
  return `${what} is not running (or has no address yet)`;
}
