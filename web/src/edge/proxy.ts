import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
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
}

function forwardHeaders(src: IncomingHttpHeaders, f: Forwarding, keepUpgrade: boolean): Record<string, string | string[]> {
  const named = new Set((src.connection ?? "").split(",").map((s) => s.trim().toLowerCase()));
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(src)) {
    // HTTP/2 pseudo-headers (:method, :path, :authority…) are the request line there, not headers.
    if (v === undefined || k.startsWith(":") || (HOP.has(k) && !(keepUpgrade && (k === "upgrade" || k === "connection"))) || (!keepUpgrade && named.has(k))) continue;
    if (k === "cookie" || k === "x-berth-link" || (k === "authorization" && f.dropAuthorization)) continue;
    out[k] = v;
  }
  if (f.cookie) out.cookie = f.cookie;
  const xff = src["x-forwarded-for"];
  out["x-forwarded-for"] = xff ? `${String(xff)}, ${f.clientIp}` : f.clientIp;
  out.host ??= f.host;
  out["x-forwarded-host"] = f.host;
  if (f.proto) out["x-forwarded-proto"] = f.proto;
  else out["x-forwarded-proto"] ??= "http";
  return out;
}

/** One keep-alive pool for every container: connections to an app are reused across requests. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000 });

/**
 * Sends `req` to `route` and its answer back. `retry`, when given, is asked first when the
 * upstream fails before answering a replayable request (a connection refused or reset): true
 * means the caller sends it again, so nothing is answered here.
 */
export function proxyHttp(req: IncomingMessage, res: ServerResponse, route: EdgeRoute, f: Forwarding, log: Logger, retry?: () => boolean): void {
  const up = http.request({ host: route.ip, port: route.port, method: req.method, path: f.path, headers: forwardHeaders(req.headers, f, false), agent });
  let answered = false;
  up.on("response", (r) => {
    answered = true;
    const headers: Record<string, string | string[]> = {};
    const named = new Set((r.headers.connection ?? "").split(",").map((s) => s.trim().toLowerCase()));
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !HOP.has(k) && !named.has(k)) headers[k] = v;
    // Who may see a link depends on the edge's cookie: a browser must not answer another
    // account (or a signed-out visitor) from what it cached for the first one.
    const vary = String(headers.vary ?? "");
    if (vary !== "*" && !/\bcookie\b/i.test(vary)) headers.vary = vary ? `${vary}, Cookie` : "Cookie";
    // HTTP/2 has no reason phrase (and Node warns when given one).
    if (req.httpVersionMajor >= 2) res.writeHead(r.statusCode ?? 502, headers);
    else res.writeHead(r.statusCode ?? 502, r.statusMessage, headers);
    r.on("data", (chunk: Buffer) => (f.sent += chunk.length));
    r.pipe(res);
  });
  up.on("error", (err) => {
    log.debug({ err: err.message, ip: route.ip, port: route.port }, "edge: upstream failed");
    if (!res.headersSent && !answered && retry?.()) return;
    if (!res.headersSent) {
      res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
      res.end(`the container did not answer on port ${route.port} (${(err as NodeJS.ErrnoException).code ?? err.message})\n`);
    } else res.destroy();
  });
  res.on("close", () => {
    if (!res.writableFinished) up.destroy();
  });
  // A request sent again has no body left to read (only bodiless ones are).
  if (req.readableEnded) up.end();
  else req.pipe(up);
}

/** WebSocket (any Upgrade): the request head goes on unchanged but for Berth's credentials, then bytes both ways. */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: EdgeRoute, f: Forwarding, log: Logger): void {
  const up = net.connect({ host: route.ip, port: route.port });
  const headers = forwardHeaders(req.headers, f, true);
  let text = `${req.method} ${f.path} HTTP/${req.httpVersion}\r\n`;
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) text += `${k}: ${one}\r\n`;
  up.once("connect", () => {
    up.write(text + "\r\n");
    if (head.length) up.write(head);
    up.once("data", (first: Buffer) => (f.upgradeStatus = Number(/^HTTP\/1\.[01] (\d{3})/.exec(first.toString("latin1", 0, 16))?.[1] ?? 0)));
    up.on("data", (chunk: Buffer) => (f.sent += chunk.length));
    up.pipe(socket);
    socket.pipe(up);
  });
  up.on("error", (err) => {
    log.debug({ err: err.message }, "edge: upstream upgrade failed");
    if (socket.writable) socket.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nthe container did not answer on port ${route.port}\n`);
  });
  socket.on("error", () => up.destroy());
  socket.on("close", () => up.destroy());
  up.on("close", () => socket.destroy());
}
