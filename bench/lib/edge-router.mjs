// Berth's edge vs Debian's nginx as the router in front of one container (issues 15 and 17):
// requests per second and p50/p99 latency of a 1 KiB file from an app container (nginx serving
// it with keep-alive, in a busybox container), straight to the
// container, through the edge and through nginx (upstream keep-alive), plain HTTP and, with a
// TLS port, HTTPS (HTTP/1.1: wrk speaks no HTTP/2). Every target is measured in each round,
// rounds interleaved (each starting one target later) after a warm-up, so drift on a shared machine hits each alike; medians,
// the ratios edge/nginx, each proxy's CPU time per request (/proc: steadier than rates when the
// machine is busy), socket errors and the load average before and after.
// Edge routes measured (`routes`):
//   named    the production router: a public named route reached by its custom domain (no
//            policy call, the request logged)
//   public   a public port link <name>-<port>--<team> (no policy call, no log)
//   private  a private port link, the admin token as Bearer: web's policy answer, cached by the edge
// Used by bench/deploy.mjs (--only router) and bench/router-vs-nginx.mjs.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
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

/** wrk's --latency output → { rps, p50, p90, p99, max (milliseconds), errors (socket errors and timeouts past wrk's 2 s) }; a non-2xx answer fails the run. */
function wrk(t, { threads, connections, duration }) {
  const cpu0 = t.pid ? cpuUs(t.pid()) : 0;
  const headers = Object.entries(t.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  // WRK_SCRIPT=file.lua: a wrk script for diagnosis (e.g. printing the first non-2xx answer of each status).
  const script = process.env.WRK_SCRIPT ? ["-s", process.env.WRK_SCRIPT] : [];
  const out = execFileSync("wrk", ["-t", String(threads), "-c", String(connections), "-d", `${duration}s`, "--latency", ...script, ...headers, t.url], { encoding: "utf8" });
  const toMs = (m, what) => {
    if (!m) throw new Error(`wrk output without ${what}:\n${out}`);
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const ms = (label) => toMs(new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out), `${label}%`);
  // "Latency  avg  stdev  max  +/- stdev": the slowest request of the run.
  const max = toMs(/^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\s/m.exec(out), "the latency line");
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) {
    // One answer as a sample of what went wrong.
    const sample = execFileSync("curl", ["-sk", "-i", "--max-time", "5", ...Object.entries(t.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]), t.url], { encoding: "utf8" }).slice(0, 600);
    throw new Error(`${t.name}: ${non2xx[1]} non-2xx answers:\n${out}\none now:\n${sample}`);
  }
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  // The proxy's own CPU per request: independent of how busy the rest of the machine is.
  const cpu = t.pid ? (cpuUs(t.pid()) - cpu0) / requests : NaN;
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), p50: ms("50"), p90: ms("90"), p99: ms("99"), max, cpu, errors: errors ? errors.slice(1).reduce((a, n) => a + Number(n), 0) : 0 };
}

/** One request, certificate not checked (a self-signed one made here); fetch() cannot set Host. */
const status = async (t) => {
  const mod = t.url.startsWith("https") ? await import("node:https") : http;
  return new Promise((resolve, reject) => {
    const req = mod.get(t.url, { headers: t.headers ?? {}, rejectUnauthorized: false, servername: DOMAIN }, (res) => (res.resume(), resolve(res.statusCode)));
    req.on("error", reject);
  });
};

/** CPU time (user + system, microseconds) processes have used: /proc/PID/stat's utime and stime. */
function cpuUs(pids) {
  let us = 0;
  for (const pid of [pids].flat()) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    us += ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
  }
  return us;
}
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** The edge processes of the Berth whose home is `home`: the Node edge and its native fast path (berth-edge-fast), if on. */
function edgePid(home) {
  const procs = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  for (const d of procs) {
    try {
      if (!fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes("web/dist/edge.js")) continue;
      if (!fs.readFileSync(`/proc/${d}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${home}`)) continue;
      const fast = procs.filter((c) => {
        try {
          const stat = fs.readFileSync(`/proc/${c}/stat`, "utf8");
          return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] === d && fs.readFileSync(`/proc/${c}/cmdline`, "utf8").includes("berth-edge-fast");
        } catch {
          return false;
        }
      });
      return [Number(d), ...fast.map(Number)];
    } catch {}
  }
  throw new Error(`no edge process for ${home}`);
}

/** A loopback port nothing listens on now. */
const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

const load = () => os.loadavg().map((x) => x.toFixed(1)).join(" ");

/**
 * server: a started Berth (bench/lib/instances.mjs startBerth), with BERTH_EDGE_TLS_PORT = tlsPort
 * when tlsPort is given (then HTTPS is measured too). routes: which edge routes to measure (see above).
 * Returns the summary rows.
 */
export async function benchRouter(server, { tlsPort, routes = ["named"], rounds = 5, duration = 5, connections = 16, threads = 1, direct = true } = {}) {
  requireTools(["wrk", "nginx", ...(tlsPort ? ["openssl"] : [])]);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-edge-router-"));
  let nginx;
  try {
    // The app: the host's nginx (its /usr mounted read-only into the busybox container) serving
    // the file with keep-alive. busybox httpd closes every connection: a proxy then opens one per
    // request, and a run fills the ephemeral port range with TIME_WAIT within seconds (every
    // proxy then fails). The same files on two ports: 8081 carries the private link (a link's
    // visibility is per port).
    const conf = "worker_processes 1; daemon off; user root root; pid /tmp/ng/pid; error_log stderr warn; events { worker_connections 4096; } http { access_log off; keepalive_requests 1000000; keepalive_timeout 120s; client_body_temp_path /tmp/ng; proxy_temp_path /tmp/ng; fastcgi_temp_path /tmp/ng; uwsgi_temp_path /tmp/ng; scgi_temp_path /tmp/ng; server { listen 8080; listen 8081; root /www; } }";
    server.berth("run", "-d", "--name", "web", "-v", "/usr:/usr:ro", "-e", `CONF=${conf}`, "busybox", "sh", "-c", "ln -s usr/lib /lib && ln -s usr/lib64 /lib64 && echo root:x:0:0::/:/bin/sh > /etc/passwd && echo root:x:0: > /etc/group && mkdir -p /www /tmp/ng && head -c 1024 /dev/zero | tr '\\0' x > /www/file && printf '%s' \"$CONF\" > /tmp/ng/up.conf && exec /usr/sbin/nginx -c /tmp/ng/up.conf -p /tmp/ng");
    const containerId = server.berth("inspect", "-f", "{{.Id}}", "web").trim();
    const ip = server.berth("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web").trim();
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`no address for the container: ${ip}`);
    const protos = tlsPort ? ["http", "https"] : ["http"];
    const edgeUrl = (proto) => (proto === "http" ? `http://127.0.0.1:${server.edgePort}/file` : `https://127.0.0.1:${tlsPort}/file`);
    // "Host" spelled so: wrk adds its own Host header (the URL's) unless one is spelled exactly so.
    const edgeTargets = [];
    for (const kind of routes) {
      let headers;
      if (kind === "named") {
        // The production route, as a deploy writes it: public, with a custom domain.
        const { setNamedRoute } = await import(path.join(root, "web/dist/src/edge/named-routes.js"));
        await setNamedRoute(server.home, "env/bench/app/production", { upstream: { containerId, port: 8080 }, teamId: "bench", linkId: "bench", defaultVisibility: "private", public: true, domains: [DOMAIN], labels: {}, since: new Date().toISOString() });
        headers = { Host: DOMAIN };
      } else if (kind === "public" || kind === "private") {
        const port = kind === "public" ? "8080" : "8081";
        const link = server.berth("port-link", "set", "web", port, kind).trim().split(" ")[0];
        headers = { Host: new URL(link).host.replace(/:\d+$/, ""), ...(kind === "private" && { authorization: `Bearer ${server.token}` }) };
      } else throw new Error(`no edge route kind ${kind}: choose named, public or private`);
      for (const proto of protos) edgeTargets.push({ name: `edge ${kind} ${proto}`, proto, url: edgeUrl(proto), headers, pid: () => edgePid(server.home) });
    }
    let crt = "";
    let key = "";
    if (tlsPort) {
      // One self-signed certificate for both proxies; wrk sends the URL's host (127.0.0.1) as SNI.
      crt = path.join(work, "cert.crt");
      key = path.join(work, "cert.key");
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${DOMAIN}`, "-addext", `subjectAltName=DNS:${DOMAIN},IP:127.0.0.1`, "-keyout", key, "-out", crt], { stdio: "ignore" });
      const certs = path.join(server.home, "edge", "certs");
      fs.mkdirSync(certs, { recursive: true });
      for (const name of ["127.0.0.1", DOMAIN]) {
        fs.copyFileSync(crt, path.join(certs, `${name}.crt`));
        fs.copyFileSync(key, path.join(certs, `${name}.key`));
      }
    }
    const nginxPort = await freePort();
    const nginxTls = await freePort();
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
  # max_fails=0: one failed connect under load must not take the only upstream out for 10 s (502s).
  upstream app { server ${ip}:8080 max_fails=0; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    ${tlsPort ? `listen 127.0.0.1:${nginxTls} ssl http2;\n    ssl_certificate ${crt};\n    ssl_certificate_key ${key};` : ""}
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
    // nginx's one worker (the master only accepts signals).
    const nginxWorker = () => Number(execFileSync("pgrep", ["-P", fs.readFileSync(path.join(work, "nginx.pid"), "utf8").trim()], { encoding: "utf8" }).trim().split("\n")[0]);
    const targets = [
      ...(direct ? [{ name: "direct (container)", url: `http://${ip}:8080/file` }] : []),
      ...protos.flatMap((proto) => [...edgeTargets.filter((t) => t.proto === proto), { name: `nginx ${proto}`, proto, url: proto === "http" ? `http://127.0.0.1:${nginxPort}/file` : `https://127.0.0.1:${nginxTls}/file`, headers: { Host: DOMAIN }, pid: nginxWorker }]),
    ];
    for (let i = 0; ; i++) {
      try {
        for (const t of targets) if ((await status(t)) !== 200) throw new Error(`${t.name} not ready`);
        break;
      } catch (err) {
        if (i > 100) throw err;
        await sleep(100);
      }
    }
    const o = { threads, connections, duration };
    console.log(`router: ${os.cpus().length} cores, load ${load()}; wrk -t${threads} -c${connections} -d${duration}s, ${rounds} interleaved rounds after a warm-up, 1 KiB file from the app (nginx in a container, keep-alive); edge routes: ${routes.join(", ")}`);
    for (const t of targets) wrk(t, o); // warm-up (its errors are not counted)
    const results = new Map(targets.map((t) => [t.name, []]));
    // Each round starts one target later, so none always runs right after the same neighbour
    // (the first target after the direct run was measured slower, whichever it was).
    for (let r = 0; r < rounds; r++) for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + r) % targets.length];
      results.get(t.name).push(wrk(t, o));
    }
    const summary = targets.map((t) => {
      const rs = results.get(t.name);
      return { name: t.name, rps: Math.round(median(rs.map((x) => x.rps))), p50_ms: +median(rs.map((x) => x.p50)).toFixed(3), p90_ms: +median(rs.map((x) => x.p90)).toFixed(3), p99_ms: +median(rs.map((x) => x.p99)).toFixed(3), max_ms: +median(rs.map((x) => x.max)).toFixed(1), cpu_us_per_req: t.pid ? +median(rs.map((x) => x.cpu)).toFixed(1) : "", socket_errors: rs.reduce((a, x) => a + x.errors, 0) };
    });
    console.table(summary);
    const by = Object.fromEntries(summary.map((s) => [s.name, s]));
    for (const t of edgeTargets) {
      const e = by[t.name];
      const n = by[`nginx ${t.proto}`];
      console.log(`${t.name} / nginx ${t.proto}: rps ${(e.rps / n.rps).toFixed(2)}×, p50 ${(e.p50_ms / n.p50_ms).toFixed(2)}×, p90 ${(e.p90_ms / n.p90_ms).toFixed(2)}×, p99 ${(e.p99_ms / n.p99_ms).toFixed(2)}×, CPU per request ${(e.cpu_us_per_req / n.cpu_us_per_req).toFixed(2)}× (goal: latency within 1.5×)`);
    }
    console.log(`load average after: ${load()}`);
    return summary;
  } finally {
    nginx?.kill("SIGTERM");
    fs.rmSync(work, { recursive: true, force: true });
  }
}
