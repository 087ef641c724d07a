#!/usr/bin/env node
// Thaw latency (issue 15): time to the first byte of a request through the edge to a frozen stack
// (the edge holds it, web thaws the stack's cgroups on the worker, the request goes on) vs the same
// request to the same stack awake. Interleaved (frozen, awake; frozen, awake; …) after a warm-up, a
// new connection per request on both sides, the link public so both skip the sign-in; medians and
// the ratio (goal: frozen < 100 ms). The stack's own idle freeze is off: `berth stack freeze`
// freezes it before each frozen request, untimed.
// Needs root and a built checkout (npm run setup).
//   node bench/thaw.mjs [--runs N] [--warmup N]
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { median } from "./lib/compare.mjs";
import { arg, sleep, startBerth } from "./lib/instances.mjs";

const runs = arg("--runs", 20);
const warmup = arg("--warmup", 3);

/** Milliseconds from sending the request to its response's first byte (the status line), and the body. */
function firstByte(edgePort, host) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.get({ host: "127.0.0.1", port: edgePort, path: "/file", headers: { host, connection: "close" }, agent: false }, (res) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let body = "";
      res.setEncoding("utf8").on("data", (d) => (body += d));
      res.once("end", () => (res.statusCode === 200 ? resolve({ ms, body }) : reject(new Error(`${host}: ${res.statusCode} ${body}`))));
    });
    req.setTimeout(60_000, () => req.destroy(new Error("timed out")));
    req.once("error", reject);
  });
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-thaw-"));
const server = await startBerth();
try {
  fs.writeFileSync(
    path.join(work, "compose.yaml"),
    `x-berth:\n  freeze_after: off\nservices:\n  web:\n    image: busybox\n    expose: ["8080"]\n    command: ["sh", "-c", "mkdir -p /www && echo \\"started $$(cat /proc/sys/kernel/random/uuid)\\" > /www/file && exec httpd -f -p 8080 -h /www"]\n`,
  );
  const stack = ["stack", "-p", "thaw", "-f", path.join(work, "compose.yaml")];
  server.berth(...stack, "up", "-d");
  const url = server.berth(...stack, "ports", "--set", "web:8080=public", "--format", "json");
  const host = new URL(JSON.parse(url).url).host;
  let first;
  for (let i = 0; i < 600 && !first; i++) first = await firstByte(server.edgePort, host).catch(() => sleep(100).then(() => undefined));
  if (!first) throw new Error(`the link ${host} did not answer`);

  const frozenMs = [];
  const awakeMs = [];
  for (let i = 0; i < warmup + runs; i++) {
    server.berth(...stack, "freeze");
    const ps = JSON.parse(server.berth(...stack, "ps", "--format", "json"));
    if (!ps.every((r) => r.state === "frozen")) throw new Error(`not frozen: ${JSON.stringify(ps)}`);
    const cold = await firstByte(server.edgePort, host);
    const warm = await firstByte(server.edgePort, host);
    // The same process answers (frozen and thawed, not restarted).
    if (cold.body !== first.body || warm.body !== first.body) throw new Error(`another process answered: ${cold.body} / ${warm.body} (first: ${first.body})`);
    if (i < warmup) continue;
    frozenMs.push(cold.ms);
    awakeMs.push(warm.ms);
  }
  const row = (name, xs) => ({ request: name, median_ms: +median(xs).toFixed(1), p90_ms: +pct(xs, 90).toFixed(1), min_ms: +Math.min(...xs).toFixed(1), max_ms: +Math.max(...xs).toFixed(1) });
  console.table([row("awake stack (baseline)", awakeMs), row("frozen stack (held, thawed)", frozenMs)]);
  const m = median(frozenMs);
  console.log(`first byte from a frozen stack: median ${m.toFixed(1)} ms (goal < 100 ms: ${m < 100 ? "met" : "missed"}), ${(m / median(awakeMs)).toFixed(1)}x the awake stack's ${median(awakeMs).toFixed(1)} ms; ${runs} runs after ${warmup} warm-up`);
  server.berth(...stack, "down");
} finally {
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
