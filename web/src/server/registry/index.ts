/**
 * The OCI registry on web's server: `/v2/` (distribution spec v1.1) and `/v2/token`.
 * Blobs and manifests live in the content store; the DB says which repository holds what.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { homePaths, UPLOAD_IDLE_TIMEOUT_DEFAULT_MS, type Logger } from "@berth/core";
import { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { identify, unauthorized } from "./auth.js";
import { cancelUpload, deleteBlob, finishUpload, getBlob, patchUpload, startUpload, uploadStatus } from "./blobs.js";
import type { RegistryDeps, RegistryRequest } from "./context.js";
import { RegistryError, toRegistryError } from "./errors.js";
import type { VolumeBytes } from "../teams/disk.js";
import { sendError, sendJson } from "./http.js";
import { loadOrCreateKey } from "./jwt.js";
import { listCatalog, listTags } from "./lists.js";
import { deleteManifest, getManifest, getReferrers, putManifest } from "./manifests.js";
import { checkRepoName, parseRoute, type Route } from "./names.js";
import { cleanUpContent } from "./cleanup.js";
import { BlobDurability } from "./durability.js";
import { FailureLimiter, handleToken } from "./token.js";
import { Uploads } from "./uploads.js";

export { heldActions, ANONYMOUS, type Principal } from "./access.js";
export { loadPrincipal } from "./principal.js";
export { canSee, findRepo, visibleWhere, type Repository } from "./repos.js";
export { isRepoName, REPO_NAME_RE, namespaceOf } from "./names.js";
export { cleanUpContent, REGISTRY_GC_GRACE_MS } from "./cleanup.js";

export type RegistryHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Registry {
  handle: RegistryHandler;
  close(): void;
}

const GC_EVERY_MS = 3600 * 1000;

export const isRegistryPath = (pathname: string) => pathname === "/v2" || pathname.startsWith("/v2/");

export async function createRegistry(opts: { db: PrismaClient; home: string; log: Logger; uploadIdleMs?: number; volumeBytes?: VolumeBytes }): Promise<Registry> {
  const paths = homePaths(opts.home);
  const store = new ContentStore(paths.content);
  await store.init();
  const log = opts.log.child({ component: "registry" });
  const durability = new BlobDurability(store, paths.content, log);
  // Before anything is served: a blob a crash left half on disk must not be found under its name.
  await durability.recover();
  const deps: RegistryDeps = {
    db: opts.db,
    store,
    durability,
    uploads: new Uploads(opts.db, store, durability, log),
    key: await loadOrCreateKey(paths.secret),
    log,
    limiter: new FailureLimiter(),
    // Without workers to ask (the registry alone, in unit tests), volumes count nothing.
    volumeBytes: opts.volumeBytes ?? (() => Promise.resolve(0)),
  };
  // Abandoned uploads go a few times per idle timeout (minutes, not a day: their bytes fill the disk).
  const idleMs = opts.uploadIdleMs ?? UPLOAD_IDLE_TIMEOUT_DEFAULT_MS;
  const sweep = () => void deps.uploads.expire(idleMs).catch((err: unknown) => log.warn({ err }, "sweeping abandoned registry uploads failed"));
  const sweeper = setInterval(sweep, Math.max(500, Math.min(60_000, Math.floor(idleMs / 4))));
  sweeper.unref();
  // Hourly: blobs nothing references any more (deletes leave them behind).
  const gc = () => void cleanUpContent(deps.db, opts.home, log).catch((err: unknown) => log.warn({ err }, "registry garbage collection failed"));
  const timer = setInterval(gc, GC_EVERY_MS);
  timer.unref();

  const handle: RegistryHandler = (req, res) => {
    res.setHeader("docker-distribution-api-version", "registry/2.0");
    const head = req.method === "HEAD";
    dispatch(deps, req, res).catch((e: unknown) => {
      const err = toRegistryError(e);
      if (err) return sendError(res, err, head);
      if ((e as NodeJS.ErrnoException)?.code === "ERR_STREAM_PREMATURE_CLOSE" || req.destroyed) return; // the client went away
      log.error({ err: e, method: req.method, url: req.url }, "registry request failed");
      sendError(res, new RegistryError("UNAVAILABLE", "internal error", { status: 500 }), head);
    });
  };
  return {
    handle,
    close: () => {
      clearInterval(timer);
      clearInterval(sweeper);
    },
  };
}

type Method = "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE";
type Handler = (deps: RegistryDeps, r: RegistryRequest) => Promise<void>;

function methodsFor(route: Route): Partial<Record<Method, Handler>> {
  switch (route.kind) {
    case "base":
      return { GET: base, HEAD: base };
    case "token":
      return {};
    case "catalog":
      return { GET: listCatalog, HEAD: listCatalog };
    case "tags":
      return { GET: (d, r) => listTags(d, r, route.name), HEAD: (d, r) => listTags(d, r, route.name) };
    case "manifest": {
      const get: Handler = (d, r) => getManifest(d, r, route.name, route.reference);
      return { GET: get, HEAD: get, PUT: (d, r) => putManifest(d, r, route.name, route.reference), DELETE: (d, r) => deleteManifest(d, r, route.name, route.reference) };
    }
    case "blob": {
      const get: Handler = (d, r) => getBlob(d, r, route.name, route.digest);
      return { GET: get, HEAD: get, DELETE: (d, r) => deleteBlob(d, r, route.name, route.digest) };
    }
    case "uploads":
      return { POST: (d, r) => startUpload(d, r, route.name) };
    case "upload":
      return {
        GET: (d, r) => uploadStatus(d, r, route.name, route.id),
        PATCH: (d, r) => patchUpload(d, r, route.name, route.id),
        PUT: (d, r) => finishUpload(d, r, route.name, route.id),
        DELETE: (d, r) => cancelUpload(d, r, route.name, route.id),
      };
    case "referrers": {
      const get: Handler = (d, r) => getReferrers(d, r, route.name, route.digest);
      return { GET: get, HEAD: get };
    }
  }
}

async function dispatch(deps: RegistryDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://registry.invalid");
  const route = parseRoute(url.pathname);
  if (!route) {
    req.resume();
    throw new RegistryError("UNSUPPORTED", `no such registry endpoint: ${req.method} ${url.pathname}`, { status: 404 });
  }
  if (route.kind === "token") return handleToken(deps, req, res, url);
  const handlers = methodsFor(route);
  const handler = handlers[(req.method ?? "GET") as Method];
  if (!handler) {
    req.resume();
    throw new RegistryError("UNSUPPORTED", `${req.method} is not supported here`, { headers: { allow: Object.keys(handlers).join(", ") } });
  }
  if ("name" in route) checkRepoName(route.name);
  const caller = await identify(deps.db, deps.key, req);
  await handler(deps, { req, res, url, caller, head: req.method === "HEAD" });
}

/** GET /v2/: 200 for any authenticated caller (anonymous tokens included); a challenge without credentials, so clients log in. */
async function base(_deps: RegistryDeps, r: RegistryRequest): Promise<void> {
  if (r.caller.via === "none") throw unauthorized(r.req);
  sendJson(r.res, 200, {}, {}, r.head);
}
