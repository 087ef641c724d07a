import type { IncomingHttpHeaders } from "node:http";
import { EDGE_LINK_COOKIE, EDGE_LINK_HEADER, EDGE_LINK_PARAM, EDGE_LINK_PREFIX, EDGE_SESSION_COOKIE } from "@berth/core";

export interface EdgeCredentials {
  session?: string;
  token?: string;
  link?: string;
  linkFromQuery: boolean;
  /** The Authorization header was Berth's (an API token or a link secret): not for the app. */
  authorizationIsBerths: boolean;
  /** The Cookie header without Berth's cookies, for the app (undefined: none left). */
  appCookie: string | undefined;
  /** The request path without the ?berth_link= parameter. */
  cleanPath: string;
}

/** What a request presents to the edge, and the parts of it that go on to the app. */
export function readCredentials(headers: IncomingHttpHeaders, url: string): EdgeCredentials {
  const out: EdgeCredentials = { linkFromQuery: false, authorizationIsBerths: false, appCookie: undefined, cleanPath: url };
  const kept: string[] = [];
  for (const part of (headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    const name = eq < 0 ? part.trim() : part.slice(0, eq).trim();
    const value = eq < 0 ? "" : part.slice(eq + 1).trim();
    if (!name) continue;
    if (name === EDGE_SESSION_COOKIE) out.session ??= value;
    else if (name === EDGE_LINK_COOKIE) out.link ??= value;
    else kept.push(part.trim());
  }
  out.appCookie = kept.length ? kept.join("; ") : undefined;
  const auth = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "")?.[1];
  if (auth?.startsWith(EDGE_LINK_PREFIX)) [out.link, out.authorizationIsBerths] = [auth, true];
  else if (auth?.startsWith("berth_")) [out.token, out.authorizationIsBerths] = [auth, true];
  const header = headers[EDGE_LINK_HEADER];
  if (typeof header === "string" && header) out.link = header;
  const q = url.indexOf("?");
  if (q >= 0) {
    const params = new URLSearchParams(url.slice(q + 1));
    const fromQuery = params.get(EDGE_LINK_PARAM);
    if (fromQuery) {
      [out.link, out.linkFromQuery] = [fromQuery, true];
      params.delete(EDGE_LINK_PARAM);
      const rest = params.toString();
      out.cleanPath = url.slice(0, q) + (rest ? `?${rest}` : "");
    }
  }
  return out;
}
