#!/usr/bin/env node
// Releases and promotion (issue 17). Sections (run all, or one with --only NAME):
//   router  requests per second and p50/p99 through the edge as the production router vs
//           Debian's nginx proxying the same container, plain HTTP and HTTPS (bench/lib/edge-router.mjs)
// Needs root, a built checkout, wrk, nginx and openssl (scripts/setup.sh --bench installs them).
//   node bench/deploy.mjs [--only router] [--routes named,public,private] [--rounds N] [--duration S] [--connections C] [--threads T]
import { benchRouter } from "./lib/edge-router.mjs";
import { arg, startBerth } from "./lib/instances.mjs";

const only = arg("--only", "");
const sections = {
  async router() {
    const tlsPort = 41000 + Math.floor(Math.random() * 1000);
    const server = await startBerth({ env: { BERTH_EDGE_TLS_PORT: String(tlsPort) } });
    try {
      await benchRouter(server, { tlsPort, routes: arg("--routes", "named").split(","), rounds: arg("--rounds", 5), duration: arg("--duration", 5), connections: arg("--connections", 16), threads: arg("--threads", 1) });
    } finally {
      await server.stop();
    }
  },
};
if (only && !sections[only]) {
  console.error(`no section ${only}: choose one of ${Object.keys(sections).join(", ")}`);
  process.exit(2);
}
for (const [name, run] of Object.entries(sections)) if (!only || only === name) await run();
