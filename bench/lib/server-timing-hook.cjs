// Preloaded into the CLI by bench/policy-cost.mjs (NODE_OPTIONS=--require …): appends each
// response's Server-Timing header (what the policy cost the server) to $BERTH_BENCH_TIMING_FILE,
// one JSON line per response. The CLI talks HTTP through node:http, whose diagnostics channel
// reports every response.
"use strict";
const file = process.env.BERTH_BENCH_TIMING_FILE;
if (file) {
  const fs = require("node:fs");
  require("node:diagnostics_channel").subscribe("http.client.response.finish", ({ request, response }) => {
    const st = response.headers["server-timing"];
    fs.appendFileSync(file, `${JSON.stringify({ method: request.method, path: request.path.split("?")[0], status: response.statusCode, timing: st ?? "" })}\n`);
  });
}
