import http, { type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "@berth/core";
import type { EdgeRoute } from "./routes.js";

/** Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded either way. */
const HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization"]);

export interface Forwarding {
  cookie: string | undefined;
  dropAuthorization: boolean;
  path: string;
  clientIp: string;
  host: string;
  /** "https" on the TLS port: the app is told so whatever the client claimed; otherwise the client's claim or "http". */
  proto?: "https";
  /** Response body bytes sent to the client so far (for the request log). */
  sent: number;
  /** The status line the upstream answered an upgrade with (101 when it switched). */
  upgradeStatus?: number;
  /** A fast-path grant (fastpath.ts) to add to the response: the fast path takes it out. */
  grant?: [string, string];
}

/** Header names a Connection header lists (RFC 9110 §7.6.1: hop-by-hop too); undefined when it lists none beyond the usual. */
function connectionNamed(raw: string[]): Set<string> | undefined {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 10 || raw[i]!.toLowerCase() !== "connection") continue;
    for (const t of raw[i + 1]!.split(",")) {
      const k = t.trim().toLowerCase();
      if (k && !HOP.has(k) && k !== "close") (named ??= new Set()).add(k);
    }
  }
  return named;
}

/**
 * The request's headers for the upstream, as a raw list (name, value, …: no object built, the
 * client's spelling and repeated headers kept): hop-by-hop headers and Berth's credentials out,
 * the X-Forwarded-* headers in.
 */
function forwardHeaders(raw: string[], f: Forwarding, keepUpgrade: boolean): string[] {
  const named = keepUpgrade ? undefined : connectionNamed(raw);
  const out: string[] = [];
  let xff: string | undefined;
  let proto: string | undefined;
  let host = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const v = raw[i + 1]!;
    const k = name.toLowerCase();
    // HTTP/2 pseudo-headers (:method, :path, :authority…) are the request line there, not headers.
    if (k.charCodeAt(0) === 58) continue;
    if (HOP.has(k)) {
      if (keepUpgrade && (k === "upgrade" || k === "connection")) out.push(name, v);
      continue;
    }
    if (named?.has(k)) continue;
    switch (k) {
      case "cookie":
      case "x-berth-link":
      case "x-forwarded-host":
        continue;
      case "authorization":
        if (f.dropAuthorization) continue;
        break;
      case "x-forwarded-for":
        xff = xff ? `${xff}, ${v}` : v;
        continue;
      case "x-forwarded-proto":
        proto ??= v;
        continue;
      case "host":
        host = true;
        break;
    }
    out.push(name, v);
  }
  if (f.cookie) out.push("cookie", f.cookie);
  if (!host) out.push("host", f.host);
  out.push("x-forwarded-for", xff ? `${xff}, ${f.clientIp}` : f.clientIp, "x-forwarded-host", f.host, "x-forwarded-proto", f.proto ?? proto ?? "http");
  return out;
}

/**
 * The upstream's response headers for the client, as a raw list: hop-by-hop ones out, and
 * Cookie added to Vary. Who may see a link depends on the edge's cookie: a browser must not
 * answer another account (or a signed-out visitor) from what it cached for the first one.
 */
function responseHeaders(raw: string[]): string[] {
  const named = connectionNamed(raw);
  const out: string[] = [];
  let vary: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (HOP.has(k) || named?.has(k)) continue;
    if (k === "vary") {
      vary = vary ? `${vary}, ${raw[i + 1]!}` : raw[i + 1]!;
      continue;
    }
    out.push(raw[i]!, raw[i + 1]!);
  }
  if (vary === undefined) out.push("vary", "Cookie");
  else out.push("vary", vary.trim() === "*" || /\bcookie\b/i.test(vary) ? vary : `${vary}, Cookie`);
  return out;
}

/** A raw header list as an object (HTTP/2's compatibility response takes no list); repeated names become arrays. */
function headerObject(raw: string[]): Record<string, string | string[]> {
  const o: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    const had = o[k];
    o[k] = had === undefined ? raw[i + 1]! : Array.isArray(had) ? [...had, raw[i + 1]!] : [had, raw[i + 1]!];
  }
  return o;
}

/** One keep-alive pool for every container: connections to an app are reused across requests. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000 });

/** A connection to an upstream that has not connected by then is given up (and may be tried again: nothing reached the app). */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Why a request failed to reach the upstream. `reached` false: the connection was never made
 * (refused, unreachable, timed out connecting), so the app saw nothing of the request and the
 * edge has not consumed its body: sending it again is safe whatever its method.
 */
export type UpstreamFailure = { err: Error; reached: boolean };

/** Destroys `socket` with a connect-timeout error unless it connects within CONNECT_TIMEOUT_MS. */
function connectTimeout(socket: net.Socket, destroy: (err: Error) => void): void {
  if (!socket.connecting) return;
  const timer = setTimeout(() => destroy(Object.assign(new Error(`connecting took longer than ${CONNECT_TIMEOUT_MS} ms`), { code: "ETIMEDOUT", syscall: "connect" })), CONNECT_TIMEOUT_MS);
  timer.unref();
  socket.once("connect", () => clearTimeout(timer));
  socket.once("close", () => clearTimeout(timer));
}

/**
 * Sends `req` to `route` and its answer back. The body is streamed only once the connection to
 * the upstream is made, so a refused connection leaves it unread. `retry`, when given, is asked
 * first when the upstream fails before answering: true means the caller sends the request
 * again, so nothing is answered here.
 */
export function proxyHttp(req: IncomingMessage, res: ServerResponse, route: EdgeRoute, f: Forwarding, log: Logger, retry?: (why: UpstreamFailure) => boolean): void {
  const up = http.request({ host: route.ip, port: route.port, method: req.method, path: f.path, headers: forwardHeaders(req.rawHeaders, f, false), agent });
  let answered = false;
  let reached = false;
  const sendBody = () => {
    reached = true;
    // A request sent again after a failure past this point has no body left to read (only bodiless ones are).
    if (req.readableEnded) up.end();
    else req.pipe(up);
  };
  up.once("socket", (s: net.Socket) => {
    if (!s.connecting) return sendBody();
    connectTimeout(s, (err) => up.destroy(err));
    s.once("connect", sendBody);
  });
  up.on("response", (r) => {
    answered = true;
    const headers = responseHeaders(r.rawHeaders);
    if (f.grant) headers.push(f.grant[0], f.grant[1]);
    // HTTP/2 has no reason phrase (and Node warns when given one).
    if (req.httpVersionMajor >= 2) res.writeHead(r.statusCode ?? 502, headerObject(headers));
    else res.writeHead(r.statusCode ?? 502, r.statusMessage, headers);
    r.on("data", (chunk: Buffer) => (f.sent += chunk.length));
    r.pipe(res);
  });
  up.on("error", (err) => {
    log.debug({ err: err.message, ip: route.ip, port: route.port }, "edge: upstream failed");
    if (!res.headersSent && !answered && retry?.({ err, reached })) return;
    if (!res.headersSent) {
      res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
      res.end(`the container did not answer on port ${route.port} (${(err as NodeJS.ErrnoException).code ?? err.message})\n`);
    } else res.destroy();
  });
  res.on("close", () => {
    if (!res.writableFinished) up.destroy();
  });
}

/**
 * WebSocket (any Upgrade): the request head goes on unchanged but for Berth's credentials, then
 * bytes both ways. Nothing is read from the client before the upstream takes the connection, so
 * `retry` (asked when it does not) may send the upgrade again.
 */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: EdgeRoute, f: Forwarding, log: Logger, retry?: () => boolean): void {
  // No Nagle: WebSocket messages are small, and each should go at once (as the HTTP agent's sockets do).
  const up = net.connect({ host: route.ip, port: route.port, noDelay: true });
  connectTimeout(up, (err) => up.destroy(err));
  const headers = forwardHeaders(req.rawHeaders, f, true);
  let text = `${req.method} ${f.path} HTTP/${req.httpVersion}\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  let connected = false;
  const onClientGone = () => up.destroy();
  up.once("connect", () => {
    connected = true;
    up.write(text + "\r\n");
    if (head.length) up.write(head);
    up.once("data", (first: Buffer) => (f.upgradeStatus = Number(/^HTTP\/1\.[01] (\d{3})/.exec(first.toString("latin1", 0, 16))?.[1] ?? 0)));
    up.on("data", (chunk: Buffer) => (f.sent += chunk.length));
    up.pipe(socket);
    socket.pipe(up);
    up.on("close", () => socket.destroy());
  });
  up.on("error", (err) => {
    log.debug({ err: err.message }, "edge: upstream upgrade failed");
    if (!connected) {
      socket.off("error", onClientGone);
      socket.off("close", onClientGone);
      if (retry?.()) return;
    }
    if (socket.writable) socket.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nthe container did not answer on port ${route.port}\n`);
  });
  socket.on("error", onClientGone);
  socket.on("close", onClientGone);
}
