import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../services.js";
import { webhookHttpHandler } from "../projects/webhook-http.js";
import { hookHttpHandler } from "./hook.js";
import { GIT_PREFIX, smartHttpHandler } from "./http.js";

export { GIT_ROUTES, GIT_PREFIX } from "./http.js";

/** Everything under /git/: smart HTTP, the push hook's call back, outside repositories' webhooks. */
export function gitHttpHandler(s: Services): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  const handlers = [hookHttpHandler(s), webhookHttpHandler(s), smartHttpHandler(s)];
  return (req, res, pathname) => {
    if (!pathname.startsWith(GIT_PREFIX)) return false;
    for (const h of handlers) if (h(req, res, pathname)) return true;
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end("repository not found\n");
    req.resume();
    return true;
  };
}
