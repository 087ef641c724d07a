/**
 * Berth's edge (router): serves port links `<name>-<port>--<team>.<BERTH_DOMAIN>`, stack links
 * `<service>-<port>--<stack>--<team>.<BERTH_DOMAIN>` and previews
 * `<branch>--<project>--<team>.<BERTH_DOMAIN>` on BERTH_EDGE_PORT and proxies HTTP and
 * WebSocket to the container. Its own process (started and
 * supervised by scripts/start.mjs), so links keep working while web or the worker restarts:
 * routes come from the DB and the network store, decisions from web's policy, both cached.
 */
import { config, createLogger, edgeCertsDir, edgeLogsDir } from "@berth/core";
import { createDb } from "@berth/core/db";
import { connectRedis } from "@berth/core/redis";
import { EdgeAuthorizer } from "./src/edge/authorizer.js";
import { Inflight } from "./src/edge/inflight.js";
import { RouteTable } from "./src/edge/routes.js";
import { createEdgeServer } from "./src/edge/server.js";
import { EdgeFreeze } from "./src/edge/freeze.js";
import { CertStore } from "./src/edge/certs.js";
import { RequestLog } from "./src/edge/request-log.js";
import { createEdgeTlsServer } from "./src/edge/tls.js";
import { AcmeChallenges, AcmeClient } from "./src/edge/acme.js";
import { AcmeRenewer } from "./src/edge/acme-renew.js";
import { EdgeFastPath } from "./src/edge/fastpath.js";
import { EDGE_POLICY_CHANNEL, edgePolicyAckKey } from "@berth/core";
import fs from "node:fs";
import path from "node:path";

async function main(): Promise<void> {
  const log = createLogger("edge");
  const cfg = config();
  if (!cfg.redisUrl) {
    log.fatal("REDIS_URL is not set: start Berth with `npm start`");
    process.exit(1);
  }
  const db = createDb();
  const redis = connectRedis(cfg.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on("error", (err) => log.debug({ err: err.message }, "edge: redis error"));
  const inflight = new Inflight();
  const routes = new RouteTable(db, cfg.home, log, inflight);
  await routes.refresh();
  routes.start(1_000);
  const webHost = cfg.listenHost === "0.0.0.0" || cfg.listenHost === "::" ? "127.0.0.1" : cfg.listenHost;
  const authorizer = new EdgeAuthorizer(`http://${webHost.includes(":") ? `[${webHost}]` : webHost}:${cfg.port}`, cfg.home, log);
  const webUrl = `http://${webHost.includes(":") ? `[${webHost}]` : webHost}:${cfg.port}`;
  const freezeSub = connectRedis(cfg.redisUrl);
  freezeSub.on("error", (err) => log.debug({ err: err.message }, "edge: redis (freeze subscription) error"));
  const freeze = new EdgeFreeze(redis, freezeSub, webUrl, cfg.home, log);
  await freeze.start();
  const requestLog = new RequestLog(edgeLogsDir(cfg.home), log);
  const acme = cfg.acme && new AcmeChallenges();
  // The native fast path owns the plain port and replays decisions made here (fastpath.ts).
  const fastpath = cfg.edgeFastPath ? new EdgeFastPath({ host: cfg.listenHost, port: cfg.edgePort, loops: cfg.edgeLoops, log, onActivity: (ids) => freeze.touch(ids), onInflight: (ids) => freeze.thawUnder(ids) }) : undefined;
  if (fastpath) {
    routes.onChange = () => void fastpath.invalidate();
    freeze.onFreeze = () => void fastpath.invalidate();
  }
  // Web says a policy input changed (a visibility, a session, a token...): cached answers go at once.
  freezeSub.on("message", (channel: string, text: string) => {
    if (channel !== EDGE_POLICY_CHANNEL) return;
    authorizer.forget();
    const id = text.split(" ", 1)[0];
    void (fastpath?.invalidate() ?? Promise.resolve()).then(async () => {
      // Web waits for this (announcePolicyChange) before it answers the change's request.
      if (id && id !== "-") await redis.multi().rpush(edgePolicyAckKey(id), "1").pexpire(edgePolicyAckKey(id), 10_000).exec();
    }).catch((err: unknown) => log.warn({ err: (err as Error).message }, "edge: acknowledging a policy change failed"));
  });
  await freezeSub.subscribe(EDGE_POLICY_CHANNEL).catch((err: unknown) => log.warn({ err: (err as Error).message }, "edge: subscribing to policy changes failed; cached answers last their TTL"));
  const deps = { domain: cfg.domain, webPublicUrl: cfg.url, routes, inflight, authorizer, redis, log, freeze, requestLog, acme, fastpath };
  const server = createEdgeServer(deps);
  if (fastpath) {
    await fastpath.start(server);
    log.info({ port: cfg.edgePort, domain: cfg.domain, fastpath: true }, "edge listening");
  } else server.listen(cfg.edgePort, cfg.listenHost, () => log.info({ port: cfg.edgePort, domain: cfg.domain }, "edge listening"));
  const tlsServer = cfg.edgeTlsPort === undefined ? undefined : createEdgeTlsServer(deps, new CertStore(edgeCertsDir(cfg.home), log));
  tlsServer?.on("error", (err) => {
    log.fatal({ err: err.message, port: cfg.edgeTlsPort }, "edge: the TLS port could not be opened");
    process.exit(1);
  });
  tlsServer?.listen(cfg.edgeTlsPort, cfg.listenHost, () => log.info({ port: cfg.edgeTlsPort, certs: edgeCertsDir(cfg.home) }, "edge listening for TLS (HTTP/2, HTTP/1.1)"));
  let renewer: AcmeRenewer | undefined;
  if (cfg.acme && acme) {
    if (cfg.edgeTlsPort === undefined) log.warn("edge: BERTH_ACME_DIRECTORY is set but BERTH_EDGE_TLS_PORT is not: certificates are fetched, but nothing serves TLS");
    const acmeDir = path.join(cfg.home, "edge", "acme");
    const client = new AcmeClient({ directoryUrl: cfg.acme.directoryUrl, email: cfg.acme.email, ca: cfg.acme.caFile ? fs.readFileSync(cfg.acme.caFile) : undefined, acmeDir, certsDir: edgeCertsDir(cfg.home), challenges: acme, log });
    renewer = new AcmeRenewer(cfg.home, edgeCertsDir(cfg.home), client, log);
    renewer.start();
  }
  const stop = () => {
    renewer?.stop();
    routes.stop();
    freeze.stop();
    fastpath?.stop();
    // The last request log lines are written before the edge exits.
    server.close(() => void requestLog.close().finally(() => process.exit(0)));
    server.closeAllConnections();
    tlsServer?.close();
    setTimeout(() => process.exit(0), 3_000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`berth edge: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
