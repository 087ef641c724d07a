/**
 * Web's security edges against a real instance (npm start's launcher, web, worker, Redis):
 * the one-time set-up code, cross-site requests with the session cookie, body size limits and
 * stalled uploads, and the worker's /agent link against a second client holding the stolen key.
 */
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { trpc } from "./trpc.js";

// Small, so the stalled-upload test needs no long wait (the default is a minute).
const b = useInstance({ env: { BERTH_BODY_IDLE_TIMEOUT_MS: "1500" } });

interface Reply {
  status: number;
  text: string;
  setCookie: string[];
}

/** A plain node:http request: fetch would not send Origin or Sec-Fetch-Site as given. */
function request(method: string, pathAndQuery: string, headers: Record<string, string | number>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${b.url}${pathAndQuery}`, { method, headers: { ...headers, ...(body !== undefined ? { "content-length": Buffer.byteLength(body) } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, setCookie: res.headers["set-cookie"] ?? [] }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const setupCodeFile = () => path.join(b.home, "setup.code");
const cookieOf = (setCookie: string[]) => setCookie.map((c) => c.split(";")[0]!).find((c) => c.startsWith("berth_session=")) ?? "";
const json = { "content-type": "application/json" };

async function needsSetup(): Promise<boolean> {
  const r = await trpc<{ needsSetup: boolean }>(b.url, undefined, "auth.status");
  return r.data!.needsSetup;
}

async function containerIds(): Promise<string> {
  const r = await b.berth(["ps", "-a", "-q"]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** `berth run -d` answers once the container is created; exec needs it running. */
async function runSleeper(): Promise<string> {
  const run = await b.berth(["run", "-d", "busybox", "sleep", "600"]);
  expect(run.code, run.stderr).toBe(0);
  const id = run.stdout.trim();
  expect(await eventually(async () => (await b.berth(["ps", "-q", "--no-trunc"])).stdout.includes(id))).toBe(true);
  return id;
}

async function eventually(check: () => boolean | Promise<boolean>, ms = 60_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

let session = "";

describe("first-run set-up needs the one-time code", () => {
  it("is printed by npm start as a dashboard link and kept beside admin.token", async () => {
    const code = fs.readFileSync(setupCodeFile(), "utf8").trim();
    expect(code).toMatch(/^[0-9a-f]{32}$/);
    expect(fs.statSync(setupCodeFile()).mode & 0o077).toBe(0);
    // The launcher prints it once web and the worker are up (the harness may be quicker to notice).
    expect(await eventually(() => b.logs().includes(`/?setup=${code}`))).toBe(true);
  });

  it("refuses a set-up without the code, or with a wrong one, and creates nothing", async () => {
    const none = await request("POST", "/api/trpc/auth.setup", json, JSON.stringify({ name: "mallory", password: "mallory-password" }));
    expect(none.status).toBe(401);
    expect(none.text).toMatch(/set-up code is required/);
    expect(cookieOf(none.setCookie)).toBe("");
    const wrong = await request("POST", "/api/trpc/auth.setup", json, JSON.stringify({ name: "mallory", password: "mallory-password", code: "0".repeat(32) }));
    expect(wrong.status).toBe(401);
    expect(wrong.text).toMatch(/wrong set-up code/);
    expect(cookieOf(wrong.setCookie)).toBe("");
    expect(await needsSetup()).toBe(true);
    const login = await request("POST", "/api/trpc/auth.login", json, JSON.stringify({ name: "mallory", password: "mallory-password" }));
    expect(login.status).toBe(401);
  });

  it("sets up with the code, once: the code is used up", async () => {
    const code = fs.readFileSync(setupCodeFile(), "utf8").trim();
    const ok = await request("POST", "/api/trpc/auth.setup", json, JSON.stringify({ name: "alice", password: "correct horse", code }));
    expect(ok.status, ok.text).toBe(200);
    session = cookieOf(ok.setCookie);
    expect(session).not.toBe("");
    expect(await needsSetup()).toBe(false);
    expect(fs.existsSync(setupCodeFile())).toBe(false);
    const again = await request("POST", "/api/trpc/auth.setup", json, JSON.stringify({ name: "mallory", password: "mallory-password", code }));
    expect(again.status).toBe(412);
  });
});

describe("requests with the session cookie from another origin", () => {
  const own = () => b.url;
  // Another port of the same host: same-site, so SameSite=Lax sends the cookie along.
  const otherPort = () => `http://127.0.0.1:${b.port === 65535 ? 1 : b.port + 1}`;
  const runBody = JSON.stringify({ image: "busybox", cmd: ["true"], autoRemove: true });

  it("refuses a cross-origin text/plain run (a form post from another port) and creates no container", async () => {
    const before = await containerIds();
    const r = await request("POST", "/api/v1/containers/run", { "content-type": "text/plain", cookie: session, origin: otherPort(), "sec-fetch-site": "same-site" }, runBody);
    expect(r.status).toBe(403);
    expect(r.text).toMatch(/cross-origin/);
    // The same-site marker alone (no Origin) is refused too.
    const site = await request("POST", "/api/v1/containers/run", { ...json, cookie: session, "sec-fetch-site": "same-site" }, runBody);
    expect(site.status).toBe(403);
    expect(await containerIds()).toBe(before);
  });

  it("refuses a same-origin form-like body with the cookie: JSON or x-berth-csrf is required", async () => {
    const before = await containerIds();
    const r = await request("POST", "/api/v1/containers/run", { "content-type": "text/plain", cookie: session, origin: own() }, runBody);
    expect(r.status).toBe(403);
    expect(r.text).toMatch(/x-berth-csrf/);
    const trpcForm = await request("POST", "/api/trpc/auth.logout", { "content-type": "application/x-www-form-urlencoded", cookie: session }, "a=b");
    expect(trpcForm.status).toBe(403);
    expect(await containerIds()).toBe(before);
    // The session survived the refused logout.
    const me = await request("GET", "/api/trpc/auth.whoami", { cookie: session });
    expect(me.status).toBe(200);
  });

  it("serves the dashboard's own requests (same origin, x-berth-csrf)", async () => {
    const q = await request("GET", "/api/trpc/auth.whoami", { cookie: session, "sec-fetch-site": "same-origin" });
    expect(q.status).toBe(200);
    expect(JSON.parse(q.text).result.data.name).toBe("alice");
    const cross = await request("GET", "/api/trpc/auth.whoami", { cookie: session, origin: otherPort() });
    expect(cross.status).toBe(403);
    const m = await request("POST", "/api/trpc/volume.create", { ...json, "x-berth-csrf": "1", cookie: session, origin: own(), "sec-fetch-site": "same-origin" }, JSON.stringify({ name: "csrf-ok" }));
    expect(m.status, m.text).toBe(200);
    expect((await b.berth(["volume", "rm", "csrf-ok"])).code).toBe(0);
  });

  it("leaves Bearer-token clients alone, whatever their headers", async () => {
    const r = await request("POST", "/api/v1/containers/run", { "content-type": "text/plain", authorization: `Bearer ${b.token}`, origin: otherPort() }, runBody);
    expect(r.status, r.text).toBe(200);
    expect(r.text).toMatch(/"exitCode":0/);
  });

  it("refuses a cross-origin socket.io handshake with the cookie", async () => {
    const tryConnect = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const s: Socket = io(b.url, { reconnection: false, transports: ["websocket"], extraHeaders: headers });
        s.once("connect", () => (s.close(), resolve("connected")));
        s.once("connect_error", (err: Error) => (s.close(), resolve(err.message)));
      });
    expect(await tryConnect({ cookie: session })).toBe("connected");
    expect(await tryConnect({ cookie: session, origin: otherPort() })).toMatch(/cross-origin/);
    expect(await tryConnect({ cookie: session, "sec-fetch-site": "same-site" })).toMatch(/cross-site/);
  });
});

describe("request bodies", () => {
  /** Sends `head` on a raw connection; resolves with what came back once the server closed it. */
  function rawExchange(head: string, onOpen?: (s: net.Socket) => void): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = net.connect(b.port, "127.0.0.1", () => {
        s.write(head);
        onOpen?.(s);
      });
      let got = "";
      s.setEncoding("utf8").on("data", (d: string) => (got += d));
      s.on("error", reject);
      s.on("close", () => resolve(got));
    });
  }

  it("refuses a 300 MB body at the headers (413) and closes the connection without reading it", async () => {
    const head = `POST /api/trpc/auth.login HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${b.token}\r\nContent-Length: ${300 * 1024 * 1024}\r\n\r\n`;
    // Only the headers are sent: the answer and the close come without a byte of the body.
    const answer = await rawExchange(head);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/larger than/);
  });

  it("answers Expect: 100-continue only after the checks: 413 for a refused body, 100 for one that may come", async () => {
    const refused = await rawExchange(`POST /api/images/load HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nAuthorization: Bearer ${b.token}\r\nExpect: 100-continue\r\nContent-Length: ${128 * 1024 ** 4}\r\n\r\n`);
    expect(refused).toMatch(/^HTTP\/1\.1 413 /);
    const body = "{}";
    const accepted = await rawExchange(`POST /api/trpc/auth.logout HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nAuthorization: Bearer ${b.token}\r\nContent-Type: application/json\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`, (s) => {
      s.once("data", () => s.write(body));
    });
    expect(accepted).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it("cuts off a body without Content-Length that passes the limit", async () => {
    const head = `POST /api/trpc/auth.login HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const chunk = Buffer.alloc(1 << 20, 0x20);
    let sent = 0;
    const answer = await rawExchange(head, (s) => {
      const pump = () => {
        while (!s.destroyed && sent < 64 * (1 << 20)) {
          sent += chunk.length;
          if (!s.write(`${chunk.length.toString(16)}\r\n`) || !s.write(chunk) || !s.write("\r\n")) return void s.once("drain", pump);
        }
      };
      s.on("error", () => {}); // the server's reset is the expected end
      pump();
    }).catch((e: Error) => e.message);
    // Cut off by the server (no answer: the connection is dropped) long before 64 MB: the default limit is 8 MiB.
    expect(answer).not.toMatch(/^HTTP\//);
    expect(sent).toBeLessThan(64 * (1 << 20));
    expect((await fetch(`${b.url}/api/health`)).status).toBe(200);
  });

  it("closes an upload that stalls, and removes what it had written", async () => {
    const uploads = path.join(b.home, "builds");
    // An upload is written as <uuid>.tar.part until it is complete.
    const partials = () => (fs.existsSync(uploads) ? fs.readdirSync(uploads).filter((f) => /\.tar(\.part)?$/.test(f)) : []);
    expect(partials()).toEqual([]);
    const head = `POST /api/images/load HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nAuthorization: Bearer ${b.token}\r\nContent-Length: ${10 * 1024 ** 3}\r\n\r\n`;
    let sawPartial = false;
    await rawExchange(head, (s) => {
      s.write(Buffer.alloc(256 * 1024, 1));
      // The upload is being stored: then nothing more is sent.
      void eventually(() => (sawPartial = partials().length > 0) || s.destroyed, 30_000);
    });
    expect(sawPartial).toBe(true);
    expect(await eventually(() => partials().length === 0)).toBe(true);
  });
});

describe("the agent link", () => {
  it("refuses a second agent with the stolen key; the real worker keeps serving", async () => {
    const id = await runSleeper();

    const hostId = fs.readFileSync(path.join(b.home, "host-id"), "utf8").trim();
    const key = fs.readFileSync(path.join(b.home, "agent.key"), "utf8").trim();
    const rogue: Socket = io(`${b.url}/agent`, { reconnection: false, transports: ["websocket"], auth: { hostId, key } });
    const handed: string[] = [];
    rogue.onAny((event: string) => handed.push(event));
    const result = await new Promise<string>((resolve) => {
      rogue.once("connect", () => resolve("connected"));
      rogue.once("connect_error", (err: Error) => resolve(err.message));
    });
    expect(result).toMatch(/already connected/);

    const exec = await b.berth(["exec", id, "echo", "still-served"]);
    rogue.close();
    expect(exec.stderr).toBe("");
    expect(exec.stdout).toBe("still-served\n");
    expect(handed).toEqual([]);
    expect(b.logs()).toMatch(/refused a second agent link/);
    const health = (await (await fetch(`${b.url}/api/health`)).json()) as { agentsOnline: number };
    expect(health.agentsOnline).toBe(1);

    // After the rogue has gone, still served.
    const again = await b.berth(["exec", id, "echo", "again"]);
    expect(again.stdout).toBe("again\n");
    expect((await b.berth(["rm", "-f", id])).code).toBe(0);
  });

  it("comes back by itself after web drops it (web restarted by the launcher)", async () => {
    const id = await runSleeper();
    // Web's shutdown disconnects agent links from the server side, which socket.io-client does not retry on its own.
    const web = webPid();
    process.kill(web, "SIGTERM");
    expect(await eventually(async () => {
      if (webPid() === web) return false;
      const r = await fetch(`${b.url}/api/health`).catch(() => undefined);
      return !!r?.ok && ((await r.json()) as { agentsOnline: number }).agentsOnline === 1;
    })).toBe(true);
    const exec = await b.berth(["exec", id, "echo", "back"]);
    expect(exec.stdout).toBe("back\n");
    expect((await b.berth(["rm", "-f", id])).code).toBe(0);
  });
});

/** The pid of this instance's web server (the launcher restarts it when it exits). */
function webPid(): number {
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("web/dist/server.js")) continue;
      if (fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${b.home}`)) return Number(pid);
    } catch {
      /* gone meanwhile */
    }
  }
  return 0;
}
