/**
 * The edge as the production router (issue 17): a public named route (a production
 * environment) answers at its custom domain and its generated name with no call to web, so
 * kill -9 of web and then of the worker under a bounded loop of requests fails none of them;
 * TLS from certificate files chosen by SNI (a self-signed certificate made here with openssl),
 * HTTP/2 with HTTP/1.1 by ALPN (checked with curl), WebSockets through TLS, and a request log
 * per named route. Traffic goes to loopback only.
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, pidOf, ROOT, startInstance, type Instance } from "./harness.js";
import { edgeGet, type Reply } from "./edge-client.js";
import { until } from "./poll.js";
import { killAndWait, WEB_SCRIPT, WORKER_SCRIPT } from "./kill-restart.js";

type NamedRoutesMod = typeof import("../web/src/edge/named-routes.js");
type RequestLogMod = typeof import("../web/src/edge/request-log.js");

let b: Instance;
let tlsPort = 0;
let work = "";
let ca = "";
let namedRoutes: NamedRoutesMod;
let requestLog: RequestLogMod;

const PROD = "env/acme/shop/production";
const WS = "env/acme/shop/ws";
const STAGING = "env/acme/shop/staging";
const GENERATED = "env--production--shop--acme.localhost";

/** One GET to the plain edge port with `host` as the Host header. */
function get(host: string, pathname: string, agent: http.Agent | false = false): Promise<Reply> {
  return edgeGet(b.edgePort, host, { path: pathname, agent, timeoutMs: 60_000 });
}

/** Real curl against the TLS port, the name resolved to loopback, our CA trusted. */
function curlTls(name: string, pathname: string, extra: string[]): Promise<{ code: number; out: string; err: string }> {
  const args = ["-sS", "--max-time", "20", "--cacert", ca, "--resolve", `${name}:${tlsPort}:127.0.0.1`, "-w", "\n%{http_code} %{http_version}", ...extra, `https://${name}:${tlsPort}${pathname}`];
  return new Promise((resolve) => execFile("curl", args, { encoding: "utf8" }, (err, out, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: stderr })));
}

/** A WebSocket handshake (RFC 6455's example key) over `socket`, then `payload` sent and read back. */
function wsExchange(socket: tls.TLSSocket | import("node:net").Socket, host: string, payload: string): Promise<{ head: string; echo: string }> {
  return new Promise((resolve, reject) => {
    let buf = "";
    let head: string | null = null;
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no answer: ${buf}`))), 15_000);
    const done = (echo: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ head: head ?? buf, echo });
    };
    const send = () => socket.write(`GET /echo HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    if (socket instanceof tls.TLSSocket) socket.once("secureConnect", send);
    else socket.once("connect", send);
    socket.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      if (head === null && buf.includes("\r\n\r\n")) {
        head = buf.slice(0, buf.indexOf("\r\n\r\n"));
        buf = buf.slice(head.length + 4);
        if (!head.startsWith("HTTP/1.1 101")) return done("");
        socket.write(payload);
      }
      if (head !== null && buf.length >= payload.length) done(buf);
    });
    socket.on("end", () => done(buf));
    socket.on("error", reject);
  });
}

beforeAll(async () => {
  tlsPort = await freePort();
  b = await startInstance({ env: { BERTH_EDGE_TLS_PORT: String(tlsPort) } });
  namedRoutes = (await import(path.join(ROOT, "web/dist/src/edge/named-routes.js"))) as NamedRoutesMod;
  requestLog = (await import(path.join(ROOT, "web/dist/src/edge/request-log.js"))) as RequestLogMod;
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-edge-prod-"));
  const ok = async (args: string[]) => {
    const r = await b.berth(args);
    expect(r.code, `berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return r.stdout.trim();
  };
  await ok(["team", "create", "acme"]);
  // The app: busybox httpd (a page, and a CGI script that shows what the edge forwarded) and a WebSocket echo.
  const ws = fs.readFileSync(path.join(ROOT, "test/fixtures/edge/ws-echo.sh"), "utf8");
  const cgi = '#!/bin/sh\nprintf "content-type: text/plain\\r\\n\\r\\nhost=%s proto=%s\\n" "$HTTP_HOST" "$HTTP_X_FORWARDED_PROTO"\n';
  await ok([
    // A deployed app restarts with the worker (containers are the worker's children and die with it).
    "run", "-d", "--name", "app", "--restart", "always", "-e", `WS_SCRIPT=${ws}`, "-e", `CGI=${cgi}`, "busybox", "sh", "-c",
    'mkdir -p /www/cgi-bin && echo hello-production > /www/index.html && printf "%s" "$CGI" > /www/cgi-bin/h && chmod +x /www/cgi-bin/h && ' +
      'printf "%s" "$WS_SCRIPT" > /ws.sh && chmod +x /ws.sh && httpd -p 8080 -h /www && exec nc -ll -p 9000 -e /ws.sh',
  ]);
  const containerId = await ok(["inspect", "-f", "{{.Id}}", "app"]);
  // A self-signed certificate for both names, made here; the edge finds it by SNI under edge/certs.
  ca = path.join(work, "ca.crt");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=app.example.com", "-addext", "subjectAltName=DNS:app.example.com,DNS:ws.example.com", "-keyout", path.join(work, "key.pem"), "-out", ca], { stdio: "ignore" });
  const certs = path.join(b.home, "edge", "certs");
  fs.mkdirSync(certs, { recursive: true });
  for (const name of ["app.example.com", "ws.example.com"]) {
    fs.copyFileSync(ca, path.join(certs, `${name}.crt`));
    fs.copyFileSync(path.join(work, "key.pem"), path.join(certs, `${name}.key`));
  }
  const route = (port: number, pub: boolean, domains: string[]) => ({ upstream: { containerId, port }, teamId: "acme-team", linkId: `test:${port}`, defaultVisibility: "private" as const, public: pub, domains, labels: { project: "shop" }, since: new Date().toISOString() });
  await namedRoutes.setNamedRoute(b.home, PROD, route(8080, true, ["app.example.com"]));
  await namedRoutes.setNamedRoute(b.home, WS, route(9000, true, ["ws.example.com"]));
  const gen = await namedRoutes.setNamedRoute(b.home, STAGING, route(8080, false, ["staging.example.com"]));
  await until("the edge to serve the routes", async () => ((await namedRoutes.readServed(b.home))?.generation ?? 0) >= gen);
  await until("the app to answer through the edge", async () => (await get("app.example.com", "/index.html").catch(() => ({ status: 0 }))).status === 200);
}, 180_000);

afterAll(async () => {
  await b?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the edge as the production router", () => {
  it("a public environment answers at its domain and its generated name, and never asks web", async () => {
    expect(await get("app.example.com", "/index.html")).toEqual({ status: 200, body: "hello-production\n" });
    expect(await get("APP.example.com:80", "/index.html")).toEqual({ status: 200, body: "hello-production\n" });
    expect(await get(GENERATED, "/index.html")).toEqual({ status: 200, body: "hello-production\n" });
    // A domain no route claims is no link.
    expect((await get("other.example.com", "/index.html")).status).toBe(404);
    // With web frozen, the public route still answers; a route that is not public needs web's policy.
    const web = pidOf(b.home, WEB_SCRIPT)!;
    process.kill(web, "SIGSTOP");
    try {
      expect(await get("app.example.com", "/index.html")).toEqual({ status: 200, body: "hello-production\n" });
      const staging = await get("staging.example.com", "/index.html");
      expect(staging.status).toBe(503);
      expect(staging.body).not.toContain("hello-production");
    } finally {
      process.kill(web, "SIGCONT");
    }
    // Not public: web's policy decides (nobody signed in here), so the app's page is not served.
    const refused = await get("staging.example.com", "/index.html");
    expect([401, 403, 404]).toContain(refused.status);
    expect(refused.body).not.toContain("hello-production");
  });

  it("kill -9 of web and then of the worker loses no request of a bounded loop", async () => {
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const failures: string[] = [];
    let sent = 0;
    let stop = false;
    const MAX = 60_000;
    const deadline = Date.now() + 120_000;
    // 8 clients: half reuse connections, half open a new one per request.
    let slowest = 0;
    let atWebKill = 0;
    let atWorkerKill = 0;
    const client = async (n: number) => {
      while (!stop && sent < MAX && Date.now() < deadline) {
        const i = sent++;
        const t0 = Date.now();
        try {
          const r = await get(n % 2 ? "app.example.com" : GENERATED, `/index.html?loop=${i}`, n % 2 ? keepAlive : false);
          slowest = Math.max(slowest, Date.now() - t0);
          if (r.status !== 200 || r.body !== "hello-production\n") failures.push(`#${i}: ${r.status} ${r.body.slice(0, 200)}`);
        } catch (err) {
          failures.push(`#${i}: ${(err as Error).message}`);
        }
      }
    };
    const loop = Promise.all(Array.from({ length: 8 }, (_, n) => client(n)));
    try {
      await until("a few requests", () => sent > 200);
      atWebKill = sent;
      await killAndWait(b, WEB_SCRIPT);
      const before = sent;
      atWorkerKill = sent;
      await killAndWait(b, WORKER_SCRIPT);
      await until("more requests after both restarts", () => sent > before + 500);
    } finally {
      stop = true;
      await loop;
      keepAlive.destroy();
    }
    console.log(`kill -9 of web and of the worker: ${sent} requests, ${failures.length} failed, the slowest took ${slowest} ms`);
    expect(failures.slice(0, 20)).toEqual([]);
    // Requests flowed while web was down and restarting, and while the worker was.
    expect(atWorkerKill).toBeGreaterThan(atWebKill);
    expect(sent).toBeGreaterThan(atWorkerKill + 500);
    // Every one of them is in the environment's request log.
    await until("the request log to have the loop", async () => (await requestLog.readRequestLog(b.home, PROD, { limit: 100_000 })).filter((e) => e.path.startsWith("/index.html?loop=")).length >= sent, 15_000);
    const logged = (await requestLog.readRequestLog(b.home, PROD, { limit: 100_000 })).filter((e) => e.path.startsWith("/index.html?loop="));
    expect(logged.length).toBe(sent);
    expect(logged.every((e) => e.status === 200 && e.method === "GET" && e.bytes === "hello-production\n".length && !e.tls)).toBe(true);
  }, 300_000);

  it("serves TLS by SNI from certificate files, HTTP/2 by ALPN and HTTP/1.1 to a client that offers only it", async () => {
    const h2 = await curlTls("app.example.com", "/index.html", ["--http2"]);
    expect(h2.code, h2.err).toBe(0);
    expect(h2.out).toBe("hello-production\n\n200 2");
    const h1 = await curlTls("app.example.com", "/index.html", ["--http1.1"]);
    expect(h1.code, h1.err).toBe(0);
    expect(h1.out).toBe("hello-production\n\n200 1.1");
    // Over HTTP/2 the app still gets a Host (HTTP/2 has :authority) and learns the client used https.
    const cgi = await curlTls("app.example.com", "/cgi-bin/h", ["--http2"]);
    expect(cgi.out).toBe(`host=app.example.com:${tlsPort} proto=https\n\n200 2`);
    // A name with no certificate file: the handshake is refused, nothing is served.
    const none = await curlTls("nocert.example.com", "/index.html", ["-k"]);
    expect(none.code).not.toBe(0);
    expect(none.out).not.toContain("hello-production");
    await until("the TLS requests in the log", async () => (await requestLog.readRequestLog(b.home, PROD)).some((e) => e.tls && e.http === "2.0"), 10_000);
    const log = await requestLog.readRequestLog(b.home, PROD);
    expect(log).toContainEqual(expect.objectContaining({ tls: true, http: "2.0", status: 200, path: "/index.html", host: `app.example.com:${tlsPort}` }));
    expect(log).toContainEqual(expect.objectContaining({ tls: true, http: "1.1", status: 200, path: "/index.html" }));
  });

  it("a WebSocket passes through the TLS port (HTTP/1.1) and the plain port, by domain", async () => {
    const overTls = tls.connect({ port: tlsPort, host: "127.0.0.1", servername: "ws.example.com", ca: fs.readFileSync(ca), ALPNProtocols: ["http/1.1"] });
    const r = await wsExchange(overTls, `ws.example.com:${tlsPort}`, "hello over tls");
    expect(r.head).toMatch(/^HTTP\/1\.1 101/);
    expect(r.head).toMatch(/Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
    expect(r.echo).toBe("hello over tls");
    const net = await import("node:net");
    const plain = await wsExchange(net.connect(b.edgePort, "127.0.0.1"), "ws.example.com", "hello plain");
    expect(plain.echo).toBe("hello plain");
    await until("the upgrade in the ws route's log", async () => (await requestLog.readRequestLog(b.home, WS)).some((e) => e.status === 101 && e.tls), 10_000);
  });
});
