/**
 * Berth web: one HTTP server for the dashboard (Next), the API (/api/trpc), live data
 * (/socket.io) and /api/health. Started as `node dist/server.js` (exec'd, so signals reach it).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nextModule from "next";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { config, createLogger, type Logger } from "@berth/core";
import { db as sharedDb } from "@berth/core/db";
import { bootstrap } from "./src/server/bootstrap.js";
import { createServices } from "./src/server/services.js";
import { contextFactory } from "./src/server/context.js";
import { appRouter } from "./src/server/routers/_app.js";
import { attachSocketServer } from "./src/server/socket/index.js";
import { countOnlineHosts } from "./src/server/hosts.js";
import { imageHttpHandler } from "./src/server/images/http.js";
import { buildHttpHandler } from "./src/server/builds/http.js";
import { runHttpHandler } from "./src/server/containers/run-http.js";
import { archiveHttpHandler } from "./src/server/containers/archive-http.js";
import { logsDownloadHandler } from "./src/server/logs/download-http.js";
import { createRegistry, isRegistryPath } from "./src/server/registry/index.js";
import { volumeBytesOf } from "./src/server/teams/disk.js";
import { trackTiming } from "./src/server/policy/timing.js";
import { oidcHttpHandler } from "./src/server/auth/oidc.js";
import { edgeHttpHandler } from "./src/server/edge/http.js";
import { announcePolicyChanges } from "./src/server/edge/policy-changes.js";
import { requestGuard } from "./src/server/http/guard.js";
import { removePartialUploads } from "./src/server/uploads.js";
import { gitHttpHandler } from "./src/server/git/index.js";
import { loadPreviewEngine, setPreviewEngine } from "./src/server/projects/deployer.js";
import { previewEngineFor } from "./src/server/previews/engine.js";
import { startPreviewExpiry } from "./src/server/projects/expiry.js";
import { setBranchFollower } from "./src/server/projects/follower.js";
import { branchFollowerFor } from "./src/server/releases/follow.js";
import { startReleaseWatchRunner } from "./src/server/releases/watch-runner.js";
import { setHeapGrowth } from "./src/server/heap-growth.js";

process.env.NEXT_TELEMETRY_DISABLED ??= "1";

const SHUTDOWN_GRACE_MS = 4_000;

// next is CommonJS with `module.exports = createServer`: from ESM the default import is the
// function itself, while its types describe `{ default: createServer }`.
type CreateNextServer = typeof nextModule.default;
const createNextServer: CreateNextServer =
  typeof (nextModule as unknown) === "function" ? (nextModule as unknown as CreateNextServer) : nextModule.default;

async function main(): Promise<void> {
  // Upload bodies against V8's full-collection trigger (heap-growth.ts).
  setHeapGrowth();
  const log = createLogger("web");
  const cfg = config();
  if (!cfg.redisUrl) {
    log.fatal("REDIS_URL is not set: start Berth with `npm start`, which runs Redis, or point REDIS_URL at one");
    process.exit(1);
  }
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const dev = process.env.NODE_ENV === "development";

  const db = sharedDb();
  await bootstrap(db, cfg.home, log);
  // Uploads the previous web process died receiving: nothing will ever finish or claim them.
  const partial = await removePartialUploads();
  if (partial) log.info({ removed: partial }, "removed partial uploads left by the previous web process");
  const services = createServices({ db, redisUrl: cfg.redisUrl, log });
  const imageHttp = imageHttpHandler(services);
  const buildHttp = buildHttpHandler(services);
  const runHttp = runHttpHandler(services);
  const archiveHttp = archiveHttpHandler(services);
  const logsDownload = logsDownloadHandler(services, (hostId) => sockets.agents.agentFor(hostId));
  const registry = await createRegistry({ db, home: cfg.home, log, uploadIdleMs: cfg.uploadIdleTimeoutMs, volumeBytes: volumeBytesOf(services) });
  const oidcHttp = oidcHttpHandler({ db, log });
  const edgeHttp = edgeHttpHandler(services);
  announcePolicyChanges(services.redis, log);
  const gitHttp = gitHttpHandler(services);
  // The preview engine pushes hand their commits to (src/server/projects/deployer.ts).
  if (cfg.previewDeployerModule) {
    setPreviewEngine(await loadPreviewEngine(cfg.previewDeployerModule));
    log.info({ module: cfg.previewDeployerModule }, "preview deploys by BERTH_PREVIEW_DEPLOYER");
  } else {
    setPreviewEngine(previewEngineFor(services));
  }
  // Environments following a branch (staging) deploy the images its push built (src/server/releases/follow.ts).
  setBranchFollower(branchFollowerFor(services));
  const stopPreviewExpiry = startPreviewExpiry({ db, log, home: cfg.home }, cfg.previewExpiryIntervalMs);
  // Release watch windows live in Redis: this web runs them, and resumes those a web before it left.
  const releaseWatch = startReleaseWatchRunner(services);
  const guard = requestGuard({ publicUrl: cfg.url, maxBodyBytes: cfg.maxBodyBytes, maxUploadBytes: cfg.maxUploadBytes, bodyIdleTimeoutMs: cfg.bodyIdleTimeoutMs, log });

  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    createContext: contextFactory(services),
  });

  // Next prepares in the background, so /api/health and the API answer at once.
  const nextApp = createNextServer({ dev, dir, hostname: cfg.listenHost, port: cfg.port, customServer: true });
  const nextHandler = nextApp.getRequestHandler();
  const nextReady = quietly(log, () => nextApp.prepare()).then(
    () => true,
    (err: unknown) => {
      log.error({ err }, "Next.js failed to start: the dashboard is unavailable (did `npm run build -w @berth/web` run?)");
      return false;
    },
  );

  const health = async (res: ServerResponse) => {
    try {
      const hostsOnline = await countOnlineHosts(db);
      // agentsOnline: workers whose /agent link is up (exec, attach and log reads go through it).
      sendJson(res, 200, { ok: true, hostsOnline, agentsOnline: sockets.agents.connectedCount() });
    } catch (err) {
      log.warn({ err: (err as Error).message }, "health check failed");
      sendJson(res, 503, { ok: false, error: "database unavailable" });
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    trackTiming(req, res);
    const url = req.url ?? "/";
    const pathname = url.split("?", 1)[0]!;
    // Cross-site requests, body sizes and stalled bodies, for every route below (src/server/http/guard.ts).
    if (guard(req, res, pathname)) return;
    if (pathname === "/api/health") {
      if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { ok: false, error: "method not allowed" });
      void health(res);
      return;
    }
    if (pathname === "/api/trpc" || pathname.startsWith("/api/trpc/")) {
      trpc(req, res);
      return;
    }
    // OpenID Connect sign-in: the redirect to the provider and its answer (src/server/auth/oidc.ts)
    if (oidcHttp(req, res, pathname)) return;
    // the edge (router) asks here whether a request to a port link may pass (src/server/edge/http.ts)
    if (edgeHttp(req, res, pathname)) return;
    // save/load/import/export stream tars (see src/server/images/http.ts)
    if (imageHttp(req, res, pathname)) return;
    // berth build: context upload + live output (see src/server/builds/http.ts)
    if (buildHttp(req, res, pathname)) return;
    // attached `berth run`: create + output + exit in one request (src/server/containers/run-http.ts)
    if (runHttp(req, res, pathname)) return;
    // berth cp: tars in and out of a container (see src/server/containers/archive-http.ts)
    if (archiveHttp(req, res, pathname)) return;
    // git push/clone over smart HTTP, the push hook, outside repositories' webhooks (src/server/git/)
    if (gitHttp(req, res, pathname)) return;
    // the dashboard's log download, streamed from the host's files (src/server/logs/download-http.ts)
    if (logsDownload(req, res, pathname)) return;
    if (isRegistryPath(pathname)) {
      registry.handle(req, res);
      return;
    }
    void nextReady.then((ok: boolean) => {
      if (!ok) return sendJson(res, 503, { ok: false, error: "dashboard unavailable" });
      return nextHandler(req, res).catch((err: unknown) => {
        log.error({ err, url }, "Next.js request failed");
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: "internal error" });
        else res.destroy();
      });
    });
  };
  const server = createServer(handle);
  // A client that asks before sending its body (Expect: 100-continue) is answered by the guard
  // first: a refused upload is never sent at all (Node would otherwise say "continue" by itself).
  server.on("checkContinue", handle);
  server.keepAliveTimeout = 65_000;
  // Uploads of image archives can take longer than Node's 5-minute default for a whole request;
  // headersTimeout still bounds a client that never finishes its headers.
  server.requestTimeout = 0;

  const sockets = attachSocketServer(server, services);
  services.agentLinked = (hostId) => sockets.agents.agentFor(hostId) !== undefined;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.port, cfg.listenHost, () => {
      server.off("error", reject);
      resolve();
    });
  });
  log.info({ url: `http://${cfg.listenHost}:${cfg.port}`, home: cfg.home, dev }, "web listening");

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    setTimeout(() => {
      log.warn("shutdown took too long: exiting");
      process.exit(0);
    }, SHUTDOWN_GRACE_MS).unref();
    void (async () => {
      stopPreviewExpiry();
      await releaseWatch.close().catch(() => {});
      await sockets.close().catch(() => {});
      registry.close();
      server.close();
      server.closeAllConnections();
      await services.queues.close();
      await Promise.allSettled([services.redis.quit(), db.$disconnect(), nextApp.close?.()]);
      log.info("stopped");
      process.exit(0);
    })();
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

// eslint-disable-next-line no-control-regex -- matching terminal colour codes is the point
const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;

/** Next prints start-up lines ("✓ Running next.config…") with console.log: route them to the structured log. */
async function quietly<T>(log: Logger, fn: () => Promise<T>): Promise<T> {
  const { log: origLog, info: origInfo, warn: origWarn } = console;
  const strip = (args: unknown[]) => args.map(String).join(" ").replace(ANSI_ESCAPE, "").trim();
  console.log = console.info = (...args: unknown[]) => log.debug({ from: "next" }, strip(args));
  console.warn = (...args: unknown[]) => log.warn({ from: "next" }, strip(args));
  try {
    return await fn();
  } finally {
    Object.assign(console, { log: origLog, info: origInfo, warn: origWarn });
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

main().catch((err: unknown) => {
  createLogger("web").fatal({ err }, "web failed to start");
  process.exit(1);
});
