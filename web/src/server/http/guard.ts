/**
 * The one gate every HTTP request passes before a route sees it (server.ts calls it first;
 * socket.io's handshake asks crossSiteRefusal in socket/auth.ts, since engine.io answers
 * /socket.io before this handler runs):
 *
 * - Cross-site requests: a browser request (no Bearer token) to the API, or any state-changing
 *   one, is refused (403) when its Origin is not this server or Sec-Fetch-Site is not
 *   same-origin/none. A state-changing request authenticated by the session cookie must also be
 *   JSON or carry `x-berth-csrf` — neither of which a plain HTML form can send.
 *   Bearer-token clients (the CLI, scripts) are not cookie-authenticated and pass untouched.
 * - Body size: a Content-Length over the route's limit is refused at the headers (413, the body
 *   is never read); a body without one is cut off when it passes the limit. Upload routes (build
 *   contexts, image load/import, cp, the registry) have the larger upload limit.
 * - Stalled bodies: one that sends nothing for BERTH_BODY_IDLE_TIMEOUT_MS has its connection closed.
 * - Expect: 100-continue: "continue" is sent only once the request has passed all of the above.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@berth/core";
import { bearerToken } from "../auth/index.js";
import { watchBody } from "./body-limit.js";
import { crossSiteRefusal, isCookieAuthenticated } from "./origin.js";

export { crossSiteRefusal, isCookieAuthenticated } from "./origin.js";

export interface GuardOptions {
  /** config().url: where users reach this server (accepted as an Origin besides the Host header). */
  publicUrl: string;
  maxBodyBytes: number;
  maxUploadBytes: number;
  bodyIdleTimeoutMs: number;
  log: Logger;
}

/** The header the dashboard's tRPC client sends; a form cannot set one. */
export const CSRF_HEADER = "x-berth-csrf";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Routes whose bodies are tars or blobs (see images/http.ts, builds/http.ts, containers/archive-http.ts, registry/). */
const UPLOAD_ROUTES = new Set(["/api/builds", "/api/images/load", "/api/images/import", "/api/containers/archive"]);
const isUploadRoute = (pathname: string) => UPLOAD_ROUTES.has(pathname) || pathname === "/v2" || pathname.startsWith("/v2/") || pathname.startsWith("/git/");

/** True when the request is JSON or carries the custom header: both need a script of our own origin. */
function notAFormPost(headers: IncomingHttpHeaders): boolean {
  if (headers[CSRF_HEADER] !== undefined) return true;
  const type = (headers["content-type"] ?? "").split(";", 1)[0]!.trim().toLowerCase();
  return type === "application/json";
}

/** Returns the guard: true when it refused the request (and answered it), false to pass it on. */
export function requestGuard(o: GuardOptions): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  const log = o.log.child({ component: "guard" });
  return (req, res, pathname) => {
    const method = req.method ?? "GET";
    const unsafe = !SAFE_METHODS.has(method);
    const api = pathname === "/api" || pathname.startsWith("/api/");

    // Size first: a refused request's body is never read, and a passed one is watched while it arrives.
    const limit = isUploadRoute(pathname) ? o.maxUploadBytes : o.maxBodyBytes;
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > limit) {
      log.warn({ method, path: pathname, declared, limit, ip: req.socket.remoteAddress }, "request body over the limit: refused at the headers");
      return refuse(req, res, 413, "InvalidArgument", `the request body (${declared} bytes) is larger than ${limit} bytes, the limit for ${pathname}`, { unread: true });
    }
    const hasBody = (declared !== undefined && Number(declared) > 0) || req.headers["transfer-encoding"] !== undefined;
    if (hasBody) {
      watchBody(req, limit, o.bodyIdleTimeoutMs, (why, received) => {
        log.warn({ method, path: pathname, received, limit, idleMs: o.bodyIdleTimeoutMs, ip: req.socket.remoteAddress }, why === "idle" ? "request body stalled: closing the connection" : "request body over the limit: closing the connection");
        // Every reader of the body sees it cut short (and removes a partial upload).
        req.socket.destroy();
      });
    }

    if (bearerToken(req.headers) === undefined) {
      const cookie = isCookieAuthenticated(req.headers);
      if (unsafe || (cookie && api)) {
        const refusal = crossSiteRefusal(req.headers, o.publicUrl);
        if (refusal) {
          log.warn({ method, path: pathname, origin: req.headers.origin, site: req.headers["sec-fetch-site"], ip: req.socket.remoteAddress }, refusal);
          return refuse(req, res, 403, "PermissionDenied", refusal);
        }
      }
      if (unsafe && cookie && !notAFormPost(req.headers)) {
        const msg = `a ${method} authenticated by the session cookie must be JSON (Content-Type: application/json) or carry the header ${CSRF_HEADER}: 1`;
        log.warn({ method, path: pathname, type: req.headers["content-type"], ip: req.socket.remoteAddress }, "refused a form-like request with a session cookie");
        return refuse(req, res, 403, "PermissionDenied", msg);
      }
    }
    // server.ts routes Expect: 100-continue requests here too: the body may come now.
    if (/100-continue/i.test(req.headers.expect ?? "")) res.writeContinue();
    return false;
  };
}

/**
 * Answers with an error and closes the connection after it. With `unread`, the connection is
 * dropped once the answer is out, so the body is never read (Node would otherwise drain it);
 * otherwise Node discards what is left of a (watched, capped) body as usual.
 */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, kind: string, message: string, o: { unread?: boolean } = {}): true {
  const text = JSON.stringify({ error: { kind, message } });
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(text), connection: "close" });
  res.end(text);
  if (o.unread) res.once("finish", () => req.socket.destroy());
  return true;
}
