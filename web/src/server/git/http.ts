/**
 * Git over smart HTTP: `/git/<team>/<project>.git/…`, served by git's own http-backend (cgi.ts)
 * once the policy lets the caller through. Credentials: HTTP Basic with any user name and a Berth
 * API token as the password (what git sends from a credential helper or the URL), a Bearer token,
 * or the dashboard's session cookie. A team the caller is not in and a project that does not
 * exist answer the same 404; a viewer may clone and fetch, a push needs a member.
 * Refusals are text/plain: git shows such a body to the user as `remote: …` lines.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { isNotFound, NotFound, Unauthenticated } from "@berth/core";
import { AUTH_REQUIRED_MESSAGE, authenticate, userForToken, type AuthUser } from "../auth/index.js";
import { requestOrigin } from "../audit/index.js";
import { asBerthError, HTTP_STATUS } from "../errors.js";
import { actorWithPolicy, type TeamAction } from "../policy/index.js";
import type { Services } from "../services.js";
import { gitRoot, repoRelPath } from "../projects/repo.js";
import { PROJECT_NAME } from "../projects/names.js";
import { TEAM_NAME } from "../teams/index.js";
import { runHttpBackend } from "./cgi.js";
import { grantPush } from "./hook.js";

export const GIT_PREFIX = "/git/";

/**
 * The smart HTTP routes and the action each asks of the policy (TEAM and NAME stand for the
 * team and project; scripts/entry-points.mjs reads this table for docs/policy.md and the walk test).
 */
export const GIT_ROUTES = {
  "/git/TEAM/NAME.git/info/refs?service=git-upload-pack": { method: "GET", action: "project.read" },
  "/git/TEAM/NAME.git/info/refs?service=git-receive-pack": { method: "GET", action: "project.push" },
  "/git/TEAM/NAME.git/git-upload-pack": { method: "POST", action: "project.read" },
  "/git/TEAM/NAME.git/git-receive-pack": { method: "POST", action: "project.push" },
} as const satisfies Record<string, { method: string; action: TeamAction }>;

const REPO_PATH = /^\/git\/([^/]+)\/([^/]+)\.git(\/.*)$/;
const NOT_FOUND = "repository not found";

export interface GitRequest {
  team: string;
  project: string;
  /** e.g. /info/refs, /git-receive-pack */
  rest: string;
  action: TeamAction;
}

/** Which route of GIT_ROUTES a request is, or undefined (dumb HTTP and anything else is not served). */
export function gitRoute(method: string, pathname: string, query: URLSearchParams): GitRequest | undefined {
  const m = REPO_PATH.exec(pathname);
  if (!m) return undefined;
  const [, team, project, rest] = m as unknown as [string, string, string, string];
  const service = query.get("service");
  const key = `/git/TEAM/NAME.git${rest}${rest === "/info/refs" && service ? `?service=${service}` : ""}`;
  const route = (GIT_ROUTES as Record<string, { method: string; action: TeamAction }>)[key];
  if (!route || route.method !== (method === "HEAD" ? "GET" : method)) return undefined;
  // names as Berth makes them, so nothing decoded (a %2F, a ..) ever reaches a path
  if (!PROJECT_NAME.test(project) || !TEAM_NAME.test(team)) return undefined;
  return { team, project, rest, action: route.action };
}

/** Basic credentials: the password is an API token (the user name is not checked: git needs one). */
async function gitUser(s: Services, headers: IncomingHttpHeaders): Promise<AuthUser | null> {
  const m = /^Basic\s+(\S+)\s*$/i.exec(headers.authorization ?? "");
  if (!m) return authenticate(s.db, headers);
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const password = colon >= 0 ? decoded.slice(colon + 1) : decoded;
  return password ? userForToken(s.db, password) : null;
}

function refuse(res: ServerResponse, status: number, kind: string, message: string, extra: Record<string, string> = {}): void {
  const body = `${message}\n`;
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": "no-store", "x-berth-error": kind, ...extra });
  res.end(body);
}

/** Handles /git/<team>/<project>.git/…; false for any other path. */
export function smartHttpHandler(s: Services): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  return (req, res, pathname) => {
    if (!pathname.startsWith(GIT_PREFIX) || !REPO_PATH.test(pathname)) return false;
    const url = new URL(req.url ?? "/", "http://berth");
    const route = gitRoute(req.method ?? "GET", pathname, url.searchParams);
    if (!route) {
      refuse(res, 404, "NotFound", `${req.method} ${pathname}${url.search}: not a git smart HTTP request (Berth serves git's smart protocol only)`);
      req.resume();
      return true;
    }
    void serve(s, req, res, route, url).catch((err: unknown) => {
      s.log.error({ err, path: pathname }, "git request failed");
      if (!res.headersSent) refuse(res, 500, "Internal", "internal error");
      else res.destroy();
    });
    return true;
  };
}

async function serve(s: Services, req: IncomingMessage, res: ServerResponse, route: GitRequest, url: URL): Promise<void> {
  const target = `${route.team}/${route.project}`;
  try {
    const user = await gitUser(s, req.headers);
    if (!user) throw new Unauthenticated(`${AUTH_REQUIRED_MESSAGE}; for git, use any user name and an API token as the password (berth token create)`);
    const actor = await actorWithPolicy(s, user, req.headers, route.action, { target, origin: requestOrigin(req), path: url.pathname, team: route.team, req }).catch((err: unknown) => {
      // a team the caller is not in answers as a project that does not exist
      throw isNotFound(err) ? new NotFound(NOT_FOUND) : err;
    });
    const project = await s.db.project.findUnique({ where: { teamId_name: { teamId: actor.team.id, name: route.project } }, select: { id: true } });
    if (!project) throw new NotFound(NOT_FOUND);
    const push = route.rest === "/git-receive-pack";
    const grant = push ? grantPush({ teamId: actor.team.id, project: route.project, pushedBy: { id: user.id, name: user.name } }, req) : undefined;
    try {
      await runHttpBackend(req, res, { root: gitRoot(), pathInfo: `/${repoRelPath(actor.team.id, route.project)}${route.rest}`, query: url.search.slice(1), remoteUser: user.name, env: grant?.env ?? {} }, s.log);
    } finally {
      grant?.done();
    }
  } catch (err) {
    const berth = asBerthError(err);
    if (!berth) throw err;
    req.resume();
    const status = HTTP_STATUS[berth.kind] ?? 500;
    refuse(res, status, berth.kind, berth.message, status === 401 ? { "www-authenticate": 'Basic realm="Berth"' } : {});
  }
}
