/**
 * No request lost while a deployed app's upstream is not taking connections yet (a replica
 * restarting, a port not listening yet): a connection the upstream refused never reached the
 * app, so the edge holds and retries any request whose body it has not consumed — a POST with
 * its body, a WebSocket upgrade — as it holds GETs. A POST the upstream did receive (it closed
 * the connection after reading the body) is not sent again: the client gets a 502. Traffic goes
 * to loopback and to the container's bridge only.
 */
import net from "node:net";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startInstance, type Instance } from "./harness.js";

type NamedRoutesMod = typeof import("../web/src/edge/named-routes.js");

let b: Instance;
let namedRoutes: NamedRoutesMod;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Reply {
  status: number;
  body: string;
}

/** One request to the plain edge port with `host` as the Host header. */
function send(method: string, host: string, pathname: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: b.edgePort, method, path: pathname, headers: { host, ...(body !== undefined && { "content-type": "text/plain", "content-length": Buffer.byteLength(body) }) }, agent: false, timeout: 60_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

/** A WebSocket handshake (RFC 6455's example key) to `host`, then `payload` sent and read back. */
function wsExchange(host: string, payload: string): Promise<{ head: string; echo: string }> {
  const socket = net.connect(b.edgePort, "127.0.0.1");
  return new Promise((resolve, reject) => {
    let buf = "";
    let head: string | null = null;
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no answer: ${buf}`))), 60_000);
    const done = (echo: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ head: head ?? buf, echo });
    };
    socket.once("connect", () => socket.write(`GET /echo HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
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
  b = await startInstance();
  namedRoutes = (await import(path.join(ROOT, "web/dist/src/edge/named-routes.js"))) as NamedRoutesMod;
  const ok = async (args: string[]) => {
    const r = await b.berth(args);
    expect(r.code, `berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return r.stdout.trim();
  };
  await ok(["team", "create", "acme"]);
  const ws = fs.readFileSync(path.join(ROOT, "test/fixtures/edge/ws-echo.sh"), "utf8");
  // A CGI script that answers with the method and the body it was sent.
  const echo = '#!/bin/sh\nprintf "content-type: text/plain\\r\\n\\r\\n%s " "$REQUEST_METHOD"\nhead -c "$CONTENT_LENGTH"\n';
  // Reads a request (head and a 10-byte body), notes it, and closes the connection unanswered.
  const reset = '#!/bin/sh\nwhile IFS= read -r line; do [ "$(printf %s "$line" | tr -d "\\r")" = "" ] && break; done\nhead -c 10 >/dev/null\necho hit >> /tmp/hits\n';
  await ok([
    "run", "-d", "--name", "app", "-e", `WS_SCRIPT=${ws}`, "-e", `ECHO=${echo}`, "-e", `RESET=${reset}`, "busybox", "sh", "-c",
    'mkdir -p /www/cgi-bin && printf "%s" "$ECHO" > /www/cgi-bin/echo && chmod +x /www/cgi-bin/echo && printf "%s" "$WS_SCRIPT" > /ws.sh && chmod +x /ws.sh && ' +
      'printf "%s" "$RESET" > /reset.sh && chmod +x /reset.sh && echo up > /www/index.html && httpd -p 8080 -h /www && nc -ll -p 9100 -e /reset.sh & ' +
      // The app's port 8081 and its WebSocket port open only once the test says so.
      "while [ ! -e /tmp/go ]; do sleep 0.1; done; httpd -p 8081 -h /www; exec nc -ll -p 9000 -e /ws.sh",
  ]);
  const containerId = await ok(["inspect", "-f", "{{.Id}}", "app"]);
  const route = (port: number, domain: string) => ({ upstream: { containerId, port }, teamId: "acme-team", linkId: `test:${port}`, defaultVisibility: "private" as const, public: true, domains: [domain], labels: { project: "shop" }, since: new Date().toISOString() });
  await namedRoutes.setNamedRoute(b.home, "env/acme/shop/ready", route(8080, "ready.example.com"));
  await namedRoutes.setNamedRoute(b.home, "env/acme/shop/reset", route(9100, "reset.example.com"));
  await namedRoutes.setNamedRoute(b.home, "env/acme/shop/ws", route(9000, "ws.example.com"));
  const gen = await namedRoutes.setNamedRoute(b.home, "env/acme/shop/production", route(8081, "app.example.com"));
  await until("the edge to serve the routes", async () => ((await namedRoutes.readServed(b.home))?.generation ?? 0) >= gen);
  await until("the app to answer through the edge", async () => (await send("GET", "ready.example.com", "/index.html").catch(() => ({ status: 0 }))).status === 200);
}, 180_000);

afterAll(async () => {
  await b?.stop();
});

describe("requests held while the upstream refuses connections", () => {
  it("a POST with a body and a WebSocket upgrade sent before the app listens are answered once it does, the body intact", async () => {
    // 64 KiB: more than one read, so the edge must not have consumed any of it before the app took the connection.
    const body = Array.from({ length: 4096 }, (_, i) => `line ${String(i).padStart(9, "0")}\n`).join("");
    let answeredEarly = false;
    const post = send("POST", "app.example.com", "/cgi-bin/echo", body).then((r) => ((answeredEarly ||= !opened), r));
    const upgrade = wsExchange("ws.example.com", "hello after the restart").then((r) => ((answeredEarly ||= !opened), r));
    let opened = false;
    // Both reach the edge and find nothing listening (the edge retries with a growing backoff).
    await sleep(1_500);
    opened = true;
    const go = await b.berth(["exec", "app", "touch", "/tmp/go"]);
    expect(go.code, go.stderr).toBe(0);
    const [p, u] = await Promise.all([post, upgrade]);
    expect(answeredEarly).toBe(false);
    expect(p.status).toBe(200);
    expect(p.body).toBe(`POST ${body}`);
    expect(u.head).toMatch(/^HTTP\/1\.1 101/);
    expect(u.echo).toBe("hello after the restart");
  }, 120_000);

  it("a POST whose upstream received the body and then closed is answered 502, not sent again", async () => {
    const r = await send("POST", "reset.example.com", "/", "0123456789");
    expect(r.status).toBe(502);
    // Give a wrongly retried copy time to arrive before counting.
    await sleep(1_000);
    const hits = await b.berth(["exec", "app", "cat", "/tmp/hits"]);
    expect(hits.code, hits.stderr).toBe(0);
    expect(hits.stdout).toBe("hit\n");
  }, 60_000);
});
