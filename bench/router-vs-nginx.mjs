#!/usr/bin/env node
// Router overhead (issue 15): requests per second and p50/p99 latency of a small file from a
// busybox httpd container straight to its address, through Berth's edge by a port link (public:
// no policy call; private: web's policy answer, cached by the edge) and through Debian's nginx
// as a reverse proxy with upstream keep-alive; interleaved rounds, medians, ratios edge/nginx
// (goal: latency within 1.5× of nginx's). The measuring is bench/lib/edge-router.mjs, shared
// with bench/deploy.mjs --only router. --tls adds HTTPS; --routes picks the edge routes
// (public,private,named).
// Needs root, a built checkout, wrk and nginx (scripts/setup.sh --bench installs them).
//   node bench/router-vs-nginx.mjs [--rounds N] [--duration S] [--connections C] [--threads T] [--routes public,private] [--tls]
import { benchRouter } from "./lib/edge-router.mjs";
import { arg, startBerth } from "./lib/instances.mjs";

const tlsPort = process.argv.includes("--tls") ? 41000 + Math.floor(Math.random() * 1000) : undefined;
const server = await startBerth({ env: tlsPort ? { BERTH_EDGE_TLS_PORT: String(tlsPort) } : {} });
try {
  await benchRouter(server, {
    tlsPort,
    routes: arg("--routes", "public,private").split(","),
    rounds: arg("--rounds", 5),
    duration: arg("--duration", 5),
    connections: arg("--connections", 16),
    threads: arg("--threads", 1),
  });
} finally {
  await server.stop();
}
