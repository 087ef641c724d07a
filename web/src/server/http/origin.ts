import type { IncomingHttpHeaders } from "node:http";
import { bearerToken, SESSION_COOKIE } from "../auth/index.js";
import { parseCookies } from "../auth/sessions.js";

/**
 * Cross-site request checks. SameSite=Lax does not stop a page on another port of the same host
 * (same-site, not same-origin) from sending the session cookie, so a browser request counts only
 * when it comes from this server's own origin.
 */

/** A browser sends the session cookie by itself; a Bearer token is only sent by a client that holds it. */
export function isCookieAuthenticated(headers: IncomingHttpHeaders): boolean {
  return bearerToken(headers) === undefined && parseCookies(headers.cookie)[SESSION_COOKIE] !== undefined;
}

/** Origins this server answers as: the Host the request was sent to, and BERTH_URL (behind a proxy). */
export function ownOrigin(origin: string, headers: IncomingHttpHeaders, publicUrl: string): boolean {
  let o: URL;
  try {
    o = new URL(origin); // "null" (sandboxed frames, file://) throws: refused
  } catch {
    return false;
  }
  if (o.protocol !== "http:" && o.protocol !== "https:") return false;
  const hostPort = (u: URL) => `${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`;
  const target = hostPort(o);
  const candidates: string[] = [];
  if (headers.host) {
    try {
      // The Host header has no scheme: take the origin's, so "example.com" matches https://example.com.
      candidates.push(hostPort(new URL(`${o.protocol}//${headers.host}`)));
    } catch {
      /* malformed Host: only BERTH_URL can match */
    }
  }
  try {
    const p = new URL(publicUrl);
    if (p.protocol === o.protocol) candidates.push(hostPort(p));
  } catch {
    /* config() validated it */
  }
  return candidates.includes(target);
}

/**
 * Why a browser request must be refused as cross-site, or undefined when it may pass.
 * Sec-Fetch-Site "same-site" is refused too: that is exactly the other-port case.
 */
export function crossSiteRefusal(headers: IncomingHttpHeaders, publicUrl: string): string | undefined {
  const origin = headers.origin;
  if (origin !== undefined && !ownOrigin(origin, headers, publicUrl)) return `cross-origin request refused: Origin ${origin} is not this server`;
  const site = headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  return undefined;
}
