/**
 * The edge's native fast path (issue 15): it replays a decision the Node edge made for one host
 * and one set of credentials, and nothing else. Another user, no credentials, a changed
 * visibility and an ended session are refused from the very next request; keep-alive framing
 * (Content-Length, chunked, HEAD, 304, pipelining) is exact; bodies and aborted exchanges leak no
 * descriptor; a stack busy only through the fast path is not frozen.
 *
 * The app is Node (the host's /usr, read-only) echoing what it received. The fast path's request
 * to the app carries no Connection header (HTTP/1.1's default), the Node edge's agent sends
 * "connection: keep-alive": that is how a test tells which of them served a request.
 */
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useInstance, type RunResult } from "./harness.js";
import { until } from "./poll.js";
import { memberWithTeam, type Member } from "./stack-link.js";
import { createUser } from "./team-setup.js";

const b = useInstance();
const APP = `
const http = require("http");
const big = Buffer.alloc(1 << 20, 120);
const handler = (req, res) => {
  const u = req.url;
  if (u === "/echo") { res.setHeader("content-type", "application/json"); return res.end(JSON.stringify({ method: req.method, url: u, headers: req.headers })); }
  if (u === "/cl") { res.setHeader("content-length", "5"); return res.end("hello"); }
  if (u === "/chunked") { res.write("chunk-1;"); return setTimeout(() => { res.write("chunk-2;"); res.end("end"); }, 5); }
  if (u === "/etag") { if (req.headers["if-none-match"] === '"v1"') { res.statusCode = 304; return res.end(); } res.setHeader("etag", '"v1"'); return res.end("tagged"); }
  if (u === "/upload") { let n = 0; req.on("data", (c) => (n += c.length)); return req.on("end", () => res.end(String(n))); }
  if (u === "/stream") { let i = 0; const more = () => { if (res.destroyed) return; if (i++ > 500) return res.end(); res.write(big, more); }; return more(); }
  res.end("ok");
};
http.createServer(handler).listen(8080);
http.createServer(handler).listen(8081);
`;

let work: string;
let bob: Member;
let publicHost: string;
let privateHost: string;

async function admin(args: string[]): Promise<string> {
  const r = await b.berth(args);
  expect(r.code, `berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function ok(u: { berth(args: string[]): Promise<RunResult> }, args: string[]): Promise<string> {
  const r = await u.berth(args);
  expect(r.code, `berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  reused: boolean;
}

/** One request to the edge for `host`, on `agent`'s connection when it keeps one. */
function get(agent: http.Agent, host: string, p: string, o: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: b.edgePort, path: p, method: o.method ?? "GET", agent, headers: { host, ...o.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), reused: req.reusedSocket }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(o.body);
  });
}

/** Whether the fast path served an /echo request (see the top of this file). */
const viaFast = (a: Answer) => a.status === 200 && !("connection" in (JSON.parse(a.body) as { headers: Record<string, string> }).headers);

/** Asks /echo on `agent` until the fast path serves it (its first request goes through the Node edge, which grants). */
async function untilFast(agent: http.Agent, host: string, headers: Record<string, string> = {}): Promise<void> {
  await until(`the fast path to serve ${host}`, async () => viaFast(await get(agent, host, "/echo", { headers })));
}

const keepAlive = () => new http.Agent({ keepAlive: true, maxSockets: 1 });

/** The private link is still the admin's only: bob, on the same connection, is refused. */
async function refusesBob(agent: http.Agent): Promise<void> {
  const other = await get(agent, privateHost, "/echo", { headers: { authorization: `Bearer ${bob.token}` } });
  expect([401, 403, 404]).toContain(other.status);
}

/** The edge's processes: the Node edge (web/dist/edge.js with this BERTH_HOME) and its fast path child. */
function edgePids(): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (!fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes("web/dist/edge.js")) continue;
      if (!fs.readFileSync(`/proc/${d}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${b.home}`)) continue;
      pids.push(Number(d));
      for (const c of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        try {
          const stat = fs.readFileSync(`/proc/${c}/stat`, "utf8");
          if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === Number(d) && fs.readFileSync(`/proc/${c}/cmdline`, "utf8").includes("berth-edge-fast")) pids.push(Number(c));
        } catch {
          /* gone */
        }
      }
    } catch {
      /* gone */
    }
  }
  return pids;
}
const fdCount = (pids: number[]) => pids.reduce((n, pid) => n + fs.readdirSync(`/proc/${pid}/fd`).length, 0);

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-fastpath-"));
  // The app needs the host's /usr (a bind only the site admin may ask for): the admin runs it.
  await admin(["run", "-d", "--name", "app", "-v", "/usr:/usr:ro", "-e", `APP=${APP}`, "busybox", "sh", "-c", 'ln -s usr/lib /lib && ln -s usr/lib64 /lib64 && printf "%s" "$APP" > /app.js && exec /usr/bin/node /app.js']);
  publicHost = new URL((await admin(["port-link", "set", "app", "8080", "public"])).trim().split(" ")[0]!).hostname;
  privateHost = publicHost.replace(/^app-8080--/, "app-8081--");
  bob = await memberWithTeam(b, "bob", "bobs", "bob-password-1");
  const agent = keepAlive();
  await until("the app to answer", async () => (await get(agent, publicHost, "/cl").catch(() => ({ status: 0 }))).status === 200);
  agent.destroy();
}, 180_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("the edge's fast path", () => {
  it("replays the admin's allow for the admin only: bob, no credentials and a bad token are still refused on the same connection", async () => {
    const agent = keepAlive();
    const mine = { authorization: `Bearer ${b.token}` };
    await untilFast(agent, privateHost, mine);
    for (const [who, headers] of [
      ["bob", { authorization: `Bearer ${bob.token}` }],
      ["no credentials", {}],
      ["a bad token", { authorization: `Bearer berth_${"0".repeat(40)}` }],
      ["the admin's token as a link secret", { "x-berth-link": b.token }],
    ] as const) {
      const a = await get(agent, privateHost, "/echo", { headers });
      expect(a.reused, who).toBe(true);
      expect([401, 403, 404], `${who}: ${a.status} ${a.body}`).toContain(a.status);
    }
    // The admin's grant still holds, and the app never saw Berth's credentials.
    // A field the client's Connection header names is hop-by-hop: the app does not get it.
    const again = await get(agent, privateHost, "/echo", { headers: { ...mine, cookie: "theme=dark", connection: "keep-alive, x-hop", "x-hop": "1" } });
    expect(viaFast(again)).toBe(true);
    const seen = (JSON.parse(again.body) as { headers: Record<string, string> }).headers;
    expect(seen["x-hop"]).toBeUndefined();
    expect(seen.authorization).toBeUndefined();
    expect(seen.cookie).toBe("theme=dark");
    expect(seen["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen["x-forwarded-host"]).toBe(privateHost);
    expect(again.headers.vary).toBe("Cookie");
    agent.destroy();
  });

  it("a busy link's grant is renewed before it expires: past web's answer lifetime every request is still the fast path's, and still for the admin only", async () => {
    const agent = keepAlive();
    const mine = { authorization: `Bearer ${b.token}` };
    await untilFast(agent, privateHost, mine);
    // Web's allow lives 5 s (ALLOW_TTL_MS in web/src/server/edge/http.ts): this spans two of them.
    const end = Date.now() + 12_000;
    const viaNode: number[] = [];
    for (let i = 0; Date.now() < end; i++) {
      const a = await get(agent, privateHost, "/echo", { headers: mine });
      expect(a.status).toBe(200);
      if (!viaFast(a)) viaNode.push(i);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(viaNode, "requests the Node edge served (the grant lapsed)").toEqual([]);
    await refusesBob(agent);
    agent.destroy();
  }, 60_000);

  it("a link idle past its grant's lifetime is served by the fast path at once while the grant is decided again", async () => {
    const agent = keepAlive();
    const mine = { authorization: `Bearer ${b.token}` };
    await untilFast(agent, privateHost, mine);
    // Idle past web's 5 s answer (ALLOW_TTL_MS), within the Node edge's 30 s revalidation window.
    await new Promise((r) => setTimeout(r, 6_500));
    const served: boolean[] = [];
    for (let i = 0; i < 10; i++) served.push(viaFast(await get(agent, privateHost, "/echo", { headers: mine })));
    expect(served, "which requests after the idle spell the fast path served").toEqual(Array(10).fill(true));
    // Renewed, not only served stale: past the 3 s a stale grant waits for its renewal, still the fast path's.
    await new Promise((r) => setTimeout(r, 3_500));
    expect(viaFast(await get(agent, privateHost, "/echo", { headers: mine })), "served after the renewal's answer was due").toBe(true);
    // Still for the admin only.
    await refusesBob(agent);
    agent.destroy();
  }, 60_000);

  it("a stale grant whose renewal web refuses (an expired capability link) serves no more", async () => {
    const agent = keepAlive();
    const secret = (await admin(["port-link", "create", "app", "8081", "--ttl", "3s", "--secret"])).trim();
    const link = { "x-berth-link": secret };
    await untilFast(agent, privateHost, link);
    const created = Date.now();
    // The capability is gone from Redis after its 3 s; the grant, capped at it, is stale by then.
    await new Promise((r) => setTimeout(r, Math.max(0, created + 4_000 - Date.now())));
    // The first requests may still be served stale while the renewal is asked for (as the Node
    // edge serves its cached answer); web's refusal drops the grant, well within the 30 s a stale
    // grant may otherwise serve.
    await until("the expired link to be refused", async () => (await get(agent, privateHost, "/echo", { headers: link })).status === 403, 10_000, 50);
    for (let i = 0; i < 5; i++) expect((await get(agent, privateHost, "/echo", { headers: link })).status).toBe(403);
    agent.destroy();
  }, 60_000);

  it("private -> public -> private holds from the very next request, fast-path grants included", async () => {
    const agent = keepAlive();
    await admin(["port-link", "set", "app", "8081", "private"]);
    expect((await get(agent, privateHost, "/echo")).status).toBe(401);
    await admin(["port-link", "set", "app", "8081", "public"]);
    expect((await get(agent, privateHost, "/echo")).status).toBe(200);
    await untilFast(agent, privateHost);
    await admin(["port-link", "set", "app", "8081", "private"]);
    const refused = await get(agent, privateHost, "/echo");
    expect(refused.reused).toBe(true);
    expect(refused.status).toBe(401);
    await admin(["port-link", "set", "app", "8081", "public"]);
    expect((await get(agent, privateHost, "/echo")).status).toBe(200);
    await admin(["port-link", "set", "app", "8081", "private"]);
    expect((await get(agent, privateHost, "/echo")).status).toBe(401);
    agent.destroy();
  });

  it("a session's sign-out holds from the very next request", async () => {
    await ok(bob, ["run", "-d", "--name", "site", "busybox", "sh", "-c", "mkdir -p /www && echo bobs-site > /www/file && exec httpd -f -p 8080 -h /www"]);
    const url = new URL((await ok(bob, ["port-link", "set", "site", "8080", "team"])).trim().split(" ")[0]!);
    const login = await fetch(`${b.url}/api/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "bob", password: "bob-password-1" }) });
    expect(login.status).toBe(200);
    const session = /berth_session=([^;]+)/.exec(login.headers.getSetCookie().join("\n"))?.[1] ?? "";
    expect(session).not.toBe("");
    const agent = keepAlive();
    const cookie = { cookie: `berth_edge=${session}` };
    await until("the site to answer bob's session", async () => (await get(agent, url.hostname, "/file", { headers: cookie })).status === 200);
    // Served again (by then from the fast path's grant).
    expect(await get(agent, url.hostname, "/file", { headers: cookie })).toMatchObject({ status: 200, body: "bobs-site\n" });
    const out = await fetch(`${b.url}/api/trpc/auth.logout`, { method: "POST", headers: { "content-type": "application/json", cookie: `berth_session=${session}` }, body: "{}" });
    expect(out.status).toBe(200);
    expect((await get(agent, url.hostname, "/file", { headers: cookie })).status).toBe(401);
    agent.destroy();
  });

  it("a revoked API token and a member removed from the team hold from the very next request", async () => {
    await ok(bob, ["run", "-d", "--name", "site2", "busybox", "sh", "-c", "mkdir -p /www && echo bobs-site2 > /www/file && exec httpd -f -p 8080 -h /www"]);
    const url = new URL((await ok(bob, ["port-link", "set", "site2", "8080", "team"])).trim().split(" ")[0]!);
    const made = await bob.berth(["token", "create"]);
    expect(made.code, made.stderr).toBe(0);
    const token = made.stdout.trim().split(/\s+/).find((w) => w.startsWith("berth_"))!;
    expect(token).toBeTruthy();
    const agent = keepAlive();
    const bearer = { authorization: `Bearer ${token}` };
    await until("the site to answer the new token", async () => (await get(agent, url.hostname, "/file", { headers: bearer })).status === 200);
    // Served again: by then from the fast path's grant.
    expect((await get(agent, url.hostname, "/file", { headers: bearer })).status).toBe(200);
    const revoked = await fetch(`${b.url}/api/trpc/token.revoke`, { method: "POST", headers: { "content-type": "application/json", ...bearer }, body: "{}" });
    expect(revoked.status).toBe(200);
    expect((await get(agent, url.hostname, "/file", { headers: bearer })).status).toBe(401);

    // carol, a member of bob's team, reads the team link until bob removes her.
    const carol = createUser(b, "carol", "carol-password-1");
    await ok(bob, ["team", "add", "bobs", "carol"]);
    const hers = { authorization: `Bearer ${carol}` };
    await until("the site to answer carol", async () => (await get(agent, url.hostname, "/file", { headers: hers })).status === 200);
    expect((await get(agent, url.hostname, "/file", { headers: hers })).status).toBe(200);
    await ok(bob, ["team", "remove", "bobs", "carol"]);
    expect([403, 404]).toContain((await get(agent, url.hostname, "/file", { headers: hers })).status);
    agent.destroy();
  });

  it("keeps one connection exact through Content-Length, chunked, HEAD and 304 answers", async () => {
    const agent = keepAlive();
    await untilFast(agent, publicHost);
    const cl = await get(agent, publicHost, "/cl");
    expect(cl).toMatchObject({ status: 200, body: "hello", reused: true });
    expect(cl.headers["content-length"]).toBe("5");
    const chunked = await get(agent, publicHost, "/chunked");
    expect(chunked).toMatchObject({ status: 200, body: "chunk-1;chunk-2;end", reused: true });
    expect(chunked.headers["transfer-encoding"]).toBe("chunked");
    const head = await get(agent, publicHost, "/cl", { method: "HEAD" });
    expect(head).toMatchObject({ status: 200, body: "", reused: true });
    const tagged = await get(agent, publicHost, "/etag");
    expect(tagged).toMatchObject({ status: 200, body: "tagged", reused: true });
    const notModified = await get(agent, publicHost, "/etag", { headers: { "if-none-match": '"v1"' } });
    expect(notModified).toMatchObject({ status: 304, body: "", reused: true });
    const last = await get(agent, publicHost, "/echo");
    expect(last.reused).toBe(true);
    expect(viaFast(last)).toBe(true);
    agent.destroy();
  });

  it("answers pipelined requests in order on one connection", async () => {
    const agent = keepAlive();
    await untilFast(agent, publicHost);
    agent.destroy();
    const text = await new Promise<string>((resolve, reject) => {
      const s = net.connect(b.edgePort, "127.0.0.1");
      let got = "";
      s.on("data", (c: Buffer) => (got += c.toString("latin1")));
      s.on("end", () => resolve(got));
      s.on("error", reject);
      const r = (p: string, extra = "") => `GET ${p} HTTP/1.1\r\nHost: ${publicHost}\r\n${extra}\r\n`;
      s.write(r("/cl") + r("/chunked") + r("/etag") + r("/cl", "Connection: close\r\n"));
    });
    // A response may follow the last byte of a Content-Length body directly (no line break between).
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    expect(statuses).toEqual(["200", "200", "200", "200"]);
    const order = ["hello", "chunk-1;", "chunk-2;", "end", "tagged", "hello"].map((w, i, all) => text.indexOf(w, i ? text.indexOf(all[i - 1]!) : 0));
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
  });

  it("a large upload passes whole, and uploads or answers cut off midway leave no descriptor behind", async () => {
    const agent = keepAlive();
    await untilFast(agent, publicHost);
    const size = 32 * 1024 * 1024;
    const up = await get(agent, publicHost, "/upload", { method: "POST", body: Buffer.alloc(size, 97) });
    expect(up).toMatchObject({ status: 200, body: String(size) });
    agent.destroy();
    const pids = edgePids();
    expect(pids.length).toBe(2);
    const before = fdCount(pids);
    const cut = (request: string, afterBytes: number) =>
      new Promise<void>((resolve) => {
        const s = net.connect(b.edgePort, "127.0.0.1");
        let n = 0;
        s.on("data", (c: Buffer) => {
          n += c.length;
          if (n >= afterBytes) s.destroy();
        });
        s.on("close", () => resolve());
        s.on("error", () => {});
        s.write(request);
        // An upload cut off: the head and part of the body, then gone.
        if (afterBytes === 0) setTimeout(() => s.destroy(), 50);
      });
    for (let i = 0; i < 10; i++) {
      // Streaming answers dropped after 1 MiB (the fast path, once granted).
      await cut(`GET /stream HTTP/1.1\r\nHost: ${publicHost}\r\n\r\n`, 1 << 20);
      await cut(`POST /upload HTTP/1.1\r\nHost: ${publicHost}\r\nContent-Length: 10000000\r\n\r\n${"x".repeat(4096)}`, 0);
    }
    await until("the edge's descriptors to settle", async () => fdCount(pids) <= before + 2);
    // Still serving.
    const after = keepAlive();
    expect((await get(after, publicHost, "/cl")).body).toBe("hello");
    after.destroy();
  });
});

describe("idle freeze with the fast path", () => {
  it("a stack busy only through the fast path is not frozen; once idle it is, and its next request is held and thawed", async () => {
    const dir = path.join(work, "busy");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "compose.yaml"), `x-berth:\n  freeze_after: 2s\nservices:\n  web:\n    image: busybox\n    command: ["sh", "-c", "mkdir -p /www && echo busy > /www/file && exec httpd -f -p 8080 -h /www"]\n`);
    await ok(bob, ["stack", "-f", path.join(dir, "compose.yaml"), "up", "-d"]);
    const states = async () => (JSON.parse(await ok(bob, ["stack", "ps", "-p", "busy", "--format", "json"])) as { state: string }[]).map((r) => r.state);
    const host = `busy-web-1-8080--bobs.localhost`;
    const auth = { authorization: `Bearer ${bob.token}` };
    const agent = keepAlive();
    await until("the stack's link to answer", async () => (await get(agent, host, "/file", { headers: auth }).catch(() => ({ status: 0 }))).status === 200);
    // Requests every 200 ms for 6 times freeze_after, on one connection, mostly served by the fast
    // path (the Node edge sees one only when a grant has ended, seconds apart, longer than
    // freeze_after): the stack must never freeze meanwhile.
    const seen = new Set<string>();
    let busy = true;
    const watch = (async () => {
      while (busy) for (const s of await states()) seen.add(s);
    })();
    const end = Date.now() + 12_000;
    while (Date.now() < end) {
      expect((await get(agent, host, "/file", { headers: auth })).body).toBe("busy\n");
      await new Promise((r) => setTimeout(r, 200));
    }
    busy = false;
    await watch;
    expect([...seen]).toEqual(["running"]);
    // Idle now: frozen, and the next request (on the same connection) is held, thaws it, and is served.
    await until("the idle stack to freeze", async () => (await states()).every((s) => s === "frozen"));
    expect((await get(agent, host, "/file", { headers: auth })).body).toBe("busy\n");
    expect(await states()).toEqual(["running"]);
    agent.destroy();
  }, 180_000);
});
