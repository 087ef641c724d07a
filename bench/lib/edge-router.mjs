// The router part of bench/deploy.mjs (issue 17): requests per second and p50/p99 latency of a
// 1 KiB file from a busybox httpd container through Berth's edge as the production router (a
// public named route reached by its custom domain: no policy call, the request logged) and
// through Debian's nginx proxying the same container (upstream keep-alive), plain HTTP and
// HTTPS (HTTP/1.1: wrk speaks no HTTP/2), interleaved round by round after a warm-up so drift
// on a shared machine hits each alike; medians and the ratios edge/nginx.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { median } from "./compare.mjs";
import { root, sleep } from "./instances.mjs";

const DOMAIN = "app.example.com";

export function requireTools(tools) {
  for (const tool of tools) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      throw new Error(`${tool} is missing: run scripts/setup.sh --bench`);
    }
  }
}

/** wrk's --latency output → { rps, p50, p99 (milliseconds), errors (socket errors and timeouts past wrk's 2 s) }; a non-2xx answer fails the run. */
function wrk(url, host, { threads, connections, duration }) {
  const out = execFileSync("wrk", ["-t", String(threads), "-c", String(connections), "-d", `${duration}s`, "--latency", ...(host ? ["-H", `Host: ${host}`] : []), url], { encoding: "utf8" });
  const ms = (label) => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out);
    if (!m) throw new Error(`wrk output without ${label}%:\n${out}`);
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) throw new Error(`${url} (${host ?? "direct"}): ${non2xx[1]} non-2xx answers:\n${out}`);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), p50: ms("50"), p99: ms("99"), errors: errors ? errors.slice(1).reduce((a, n) => a + Number(n), 0) : 0 };
}

/** One request, certificate not checked (a self-signed one made here); fetch() cannot set Host. */
const status = async (url, host) => {
  const mod = url.startsWith("https") ? await import("node:https") : http;
  return new Promise((resolve, reject) => {
    const req = mod.get(url, { headers: host ? { host } : {}, rejectUnauthorized: false, servername: DOMAIN }, (res) => (res.resume(), resolve(res.statusCode)));
    req.on("error", reject);
  });
};

/**
 * server: a started Berth (bench/lib/instances.mjs startBerth) with BERTH_EDGE_TLS_PORT = tlsPort.
 * Returns the summary rows.
 */
export async function benchRouter(server, { tlsPort, rounds = 5, duration = 5, connections = 16, threads = 1 }) {
  requireTools(["wrk", "nginx", "openssl"]);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-edge-router-"));
  let nginx;
  try {
    server.berth("run", "-d", "--name", "web", "busybox", "sh", "-c", "mkdir -p /www && head -c 1024 /dev/zero | tr '\\0' x > /www/file && exec httpd -f -p 8080 -h /www");
    const containerId = server.berth("inspect", "-f", "{{.Id}}", "web").trim();
    const ip = server.berth("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web").trim();
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`no address for the container: ${ip}`);
    // The production route, as a deploy writes it: public, with a custom domain.
    const { setNamedRoute } = await import(path.join(root, "web/dist/src/edge/named-routes.js"));
    await setNamedRoute(server.home, "env/bench/app/production", { upstream: { containerId, port: 8080 }, teamId: "bench", linkId: "bench", defaultVisibility: "private", public: true, domains: [DOMAIN], labels: {}, since: new Date().toISOString() });
    // One self-signed certificate for both proxies; wrk sends the URL's host (127.0.0.1) as SNI.
    const crt = path.join(work, "cert.crt");
    const key = path.join(work, "cert.key");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${DOMAIN}`, "-addext", `subjectAltName=DNS:${DOMAIN},IP:127.0.0.1`, "-keyout", key, "-out", crt], { stdio: "ignore" });
    const certs = path.join(server.home, "edge", "certs");
    fs.mkdirSync(certs, { recursive: true });
    for (const name of ["127.0.0.1", DOMAIN]) {
      fs.copyFileSync(crt, path.join(certs, `${name}.crt`));
      fs.copyFileSync(key, path.join(certs, `${name}.key`));
    }
    const nginxPort = server.edgePort + 2;
    const nginxTls = server.edgePort + 3;
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
    listen 127.0.0.1:${nginxTls} ssl http2;
    ssl_certificate ${crt};
    ssl_certificate_key ${key};
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
      { name: "berth edge http", url: `http://127.0.0.1:${server.edgePort}/file`, host: DOMAIN },
      { name: "nginx http", url: `http://127.0.0.1:${nginxPort}/file`, host: DOMAIN },
      { name: "berth edge https", url: `https://127.0.0.1:${tlsPort}/file`, host: DOMAIN },
      { name: "nginx https", url: `https://127.0.0.1:${nginxTls}/file`, host: DOMAIN },
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
    const o = { threads, connections, duration };
    console.log(`router: ${os.cpus().length} cores; wrk -t${threads} -c${connections} -d${duration}s, ${rounds} interleaved rounds after a warm-up, 1 KiB file from busybox httpd; edge = public named route by domain (request log on)`);
    for (const t of targets) wrk(t.url, t.host, o); // warm-up (its errors are not counted)
    const results = new Map(targets.map((t) => [t.name, []]));
    for (let r = 0; r < rounds; r++) for (const t of targets) results.get(t.name).push(wrk(t.url, t.host, o));
    const summary = targets.map((t) => {
      const rs = results.get(t.name);
      return { name: t.name, rps: Math.round(median(rs.map((x) => x.rps))), p50_ms: +median(rs.map((x) => x.p50)).toFixed(3), p99_ms: +median(rs.map((x) => x.p99)).toFixed(3), socket_errors: rs.reduce((a, x) => a + x.errors, 0) };
    });
    console.table(summary);
    const by = Object.fromEntries(summary.map((s) => [s.name, s]));
    for (const proto of ["http", "https"]) {
      const e = by[`berth edge ${proto}`];
      const n = by[`nginx ${proto}`];
      console.log(`edge/nginx ${proto}: rps ${(e.rps / n.rps).toFixed(2)}×, p50 ${(e.p50_ms / n.p50_ms).toFixed(2)}×, p99 ${(e.p99_ms / n.p99_ms).toFixed(2)}×`);
    }
    return summary;
  } finally {
    nginx?.kill("SIGTERM");
    fs.rmSync(work, { recursive: true, force: true });
  }
}
