import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate, type AuthUser } from "./auth/index.js";
import type { Services } from "./services.js";
import { timed } from "./policy/timing.js";

export interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  services: Services;
  user: AuthUser | null;
}

export function contextFactory(services: Services) {
  return async ({ req, res }: { req: IncomingMessage; res: ServerResponse }): Promise<Context> => ({
    req,
    res,
    services,
    user: await timed(req, "auth", () => authenticate(services.db, req.headers)),
  });
}

/** Appends a Set-Cookie header (a batch may carry several). */
export function setCookie(res: ServerResponse, cookie: string): void {
  const prev = res.getHeader("set-cookie");
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  res.setHeader("set-cookie", [...list, cookie]);
}
