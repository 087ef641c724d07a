#!/usr/bin/env node
// Router overhead (issue 15): requests per second and p50/p99 latency of a small file from a
// busybox httpd container, three ways, interleaved (direct, edge, nginx; direct, edge, nginx; …)
// so drift on a shared machine hits each alike: straight to the container's address, through
// Berth's edge (a public port link: the policy answer is cached, as in steady use), and through
// Debian's nginx configured here as a reverse proxy with upstream keep-alive. Medians and the
// ratios edge/nginx (goal: latency within 1.5× of nginx's).
// Needs root, a built checkout, wrk and nginx (scripts/setup.sh --bench installs them).
//   node bench/router-vs-nginx.mjs [--rounds N] [--duration S] [--connections C] [--threads T]
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { median } from "./lib/compare.mjs";
import { arg, sleep, startBerth } from "./lib/instances.mjs";

const rounds = arg("--rounds", 5);
const duration = arg("--duration", 5);
const connections = arg("--connections", 16);
const threads = arg("--threads", 1);
for (const tool of ["wrk", "nginx"]) {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    console.error(`${tool} is missing: run scripts/setup.sh --bench`);
    process.exit(1);
  }
}

/** wrk's --latency output → { rps, p50, p99 } (milliseconds). */
function wrk(url, host) {
  const out = execFileSync("wrk", ["-t", String(threads), "-c", String(connections), "-d", `${duration}s`, "--latency", ...(host ? ["-H", `Host: ${host}`] : []), url], { encoding: "utf8" });
  const ms = (label) => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out);
    if (!m) throw new Error(`wrk output without ${label}%:\n${out}`);
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) throw new Error(`${url} (${host ?? "direct"}): ${non2xx[1]} non-2xx answers:\n${out}`);
  return { rps, p50: ms("50"), p99: ms("99") };
}

/** fetch() cannot set Host: a plain request can. */
const status = (url, host) =>
  new Promise((resolve, reject) => {
    const req = http.get(url, { headers: host ? { host } : {} }, (res) => (res.resume(), resolve(res.statusCode)));
    req.on("error", reject);
  });

const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-router-"));
const server = await startBerth();
let nginx;
try {
  server.berth("run", "-d", "--name", "web", "busybox", "sh", "-c", "mkdir -p /www && head -c 1024 /dev/zero | tr '\\0' x > /www/file && exec httpd -f -p 8080 -h /www");
  const linkUrl = server.berth("port-link", "set", "web", "8080", "public").trim().split(" ")[0];
  const host = new URL(linkUrl).host.replace(/:\d+$/, "");
  const ip = server.berth("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web").trim();
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`no address for the container: ${ip}`);
  const nginxPort = server.edgePort + 1;
  fs.writeFileSync(path.join(work, "nginx.conf"), `
worker_processes 1;
daemon off;
pid ${work}/nginx.pid;
error_log ${work}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${work}/body;
  proxy_temp_path ${work}/proxy;
  fastcgi_temp_path ${work}/fastcgi;
  uwsgi_temp_path ${work}/uwsgi;
  scgi_temp_path ${work}/scgi;
  upstream app { server ${ip}:8080; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`);
  nginx = spawn("nginx", ["-c", path.join(work, "nginx.conf"), "-p", work], { stdio: ["ignore", "ignore", "inherit"] });
  const targets = [
    { name: "direct (container)", url: `http://${ip}:8080/file` },
    { name: "berth edge", url: `http://127.0.0.1:${server.edgePort}/file`, host },
    { name: "nginx 1.22 proxy", url: `http://127.0.0.1:${nginxPort}/file` },
  ];
  for (let i = 0; ; i++) {
    try {
      for (const t of targets) if ((await status(t.url, t.host)) !== 200) throw new Error(`${t.name} not ready`);
      break;
    } catch (err) {
      if (i > 100) throw err;
      await sleep(100);
    }
  }
  console.log(`${os.cpus().length} cores; wrk -t${threads} -c${connections} -d${duration}s, ${rounds} interleaved rounds, 1 KiB file from busybox httpd`);
  for (const t of targets) wrk(t.url, t.host); // warm-up
  const results = new Map(targets.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) for (const t of targets) results.get(t.name).push(wrk(t.url, t.host));
  const summary = targets.map((t) => {
    const rs = results.get(t.name);
    return { name: t.name, rps: Math.round(median(rs.map((x) => x.rps))), p50_ms: +median(rs.map((x) => x.p50)).toFixed(3), p99_ms: +median(rs.map((x) => x.p99)).toFixed(3) };
  });
  console.table(summary);
  const [, edge, ngx] = summary;
  console.log(`edge/nginx: p50 ${(edge.p50_ms / ngx.p50_ms).toFixed(2)}×, p99 ${(edge.p99_ms / ngx.p99_ms).toFixed(2)}×, rps ${(edge.rps / ngx.rps).toFixed(2)}× (goal: latency within 1.5×)`);
} finally {
  nginx?.kill("SIGTERM");
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
