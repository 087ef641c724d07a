/**
 * The edge (router): a container's port answers at http://<name>-<port>--<team>.localhost:<edge>/
 * with curl and Chromium, for the visibility it has (private by default, team, public, or an
 * expiring capability link), WebSocket included, and keeps answering while web is stopped or
 * restarted. alice owns team acme and runs the containers; bob is in another team.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type Browser } from "./browser.js";
import { ROOT, run, useInstance, type RunResult } from "./harness.js";
import { until } from "./poll.js";
import { curl } from "./curl.js";

const b = useInstance();
const users: Record<"alice" | "bob", { token: string; berth(args: string[]): Promise<RunResult> }> = {} as never;
let browser: Browser | undefined;

const link = (name: string, port: number) => `http://${name}-${port}--acme.localhost:${b.edgePort}`;

/** Real curl (Debian's 7.88 resolves *.localhost to 127.0.0.1 by itself). */
async function ok(u: { berth(args: string[]): Promise<RunResult> }, args: string[]): Promise<string> {
  const r = await u.berth(args);
  expect(r.code, `berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function createUser(name: string, password: string): Promise<string> {
  const res = await fetch(`${b.url}/api/trpc/user.create`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${b.token}` },
    body: JSON.stringify({ name, password }),
  });
  const body = (await res.json()) as { result?: { data?: { token: string } } };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.result!.data!.token;
}

/** This instance's web process (the launcher's child running web/dist/server.js with our BERTH_HOME). */
function webPid(): number {
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmd.includes(path.join(ROOT, "web/dist/server.js"))) continue;
      if (fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${b.home}`)) return Number(pid);
    } catch {
      /* gone */
    }
  }
  throw new Error("web process not found");
}

beforeAll(async () => {
  for (const name of ["alice", "bob"] as const) {
    const token = await createUser(name, `${name}-password-1`);
    users[name] = { token, berth: (args) => b.berth(args, { env: { BERTH_TOKEN: token, BERTH_TEAM: name === "alice" ? "acme" : "", XDG_CONFIG_HOME: `${b.home}/cfg-${name}` } }) };
  }
  await ok({ berth: (args) => b.berth(args, { env: { BERTH_TOKEN: users.alice.token, XDG_CONFIG_HOME: `${b.home}/cfg-alice` } }) }, ["team", "create", "acme"]);
  await ok(users.alice, ["run", "-d", "--name", "web", "busybox", "sh", "-c", "mkdir -p /www && echo hello-edge > /www/file && exec httpd -f -p 8080 -h /www"]);
  const script = fs.readFileSync(path.join(ROOT, "test/fixtures/edge/ws-echo.sh"), "utf8");
  await ok(users.alice, ["run", "-d", "--name", "ws", "-e", `WS_SCRIPT=${script}`, "busybox", "sh", "-c", 'printf "%s" "$WS_SCRIPT" > /ws.sh && chmod +x /ws.sh && exec nc -ll -p 9000 -e /ws.sh']);
  await until("the link to answer", async () => (await curl(`${link("web", 8080)}/file`, { authorization: `Bearer ${users.alice.token}` }).catch(() => ({ status: 0 }))).status === 200);
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe("port links on the edge", () => {
  it("a private link answers the team's member and refuses the signed-out, another team and a bad token", async () => {
    const mine = await curl(`${link("web", 8080)}/file`, { authorization: `Bearer ${users.alice.token}` });
    expect(mine.status).toBe(200);
    expect(mine.body).toBe("hello-edge\n");
    const out = await curl(`${link("web", 8080)}/file`);
    expect(out.status).toBe(401);
    expect(out.body).not.toContain("hello-edge");
    // Another team's link answers as one that does not exist.
    const other = await curl(`${link("web", 8080)}/file`, { authorization: `Bearer ${users.bob.token}` });
    expect(other.status).toBe(404);
    expect((await curl(`${link("web", 8080)}/file`, { authorization: "Bearer berth_not-a-token" })).status).toBe(401);
    // A name that is no container of acme's.
    expect((await curl(`${link("nope", 8080)}/file`, { authorization: `Bearer ${users.alice.token}` })).status).toBe(404);
    const ls = await ok(users.alice, ["port-link", "ls", "web", "--format", "json"]);
    expect(JSON.parse(ls)).toEqual([]);
  });

  it("port-link set public opens it to anyone; private closes it again", async () => {
    expect(await ok(users.alice, ["port-link", "set", "web", "8080", "public"])).toContain(`web-8080--acme.localhost:${b.edgePort}`);
    await until("the public link", async () => (await curl(`${link("web", 8080)}/file`)).status === 200);
    expect((await curl(`${link("web", 8080)}/file`)).body).toBe("hello-edge\n");
    const rows = JSON.parse(await ok(users.alice, ["port-link", "ls", "--format", "json"])) as { container: string; port: number; visibility: string }[];
    expect(rows).toContainEqual(expect.objectContaining({ container: "web", port: 8080, visibility: "public" }));
    // bob may not change acme's links: acme is not his team.
    const refused = await b.berth(["port-link", "set", "web", "8080", "private"], { env: { BERTH_TOKEN: users.bob.token, BERTH_TEAM: "acme", XDG_CONFIG_HOME: `${b.home}/cfg-bob` } });
    expect(refused.code).not.toBe(0);
    await ok(users.alice, ["port-link", "set", "web", "8080", "private"]);
    await until("the link to be private again", async () => (await curl(`${link("web", 8080)}/file`)).status === 401);
    // A removed container's link settings go with it (they live in Redis, beside its id).
    await ok(users.alice, ["run", "-d", "--name", "brief", "busybox", "sleep", "1d"]);
    await ok(users.alice, ["port-link", "set", "brief", "80", "public"]);
    const id = (await ok(users.alice, ["inspect", "-f", "{{.Id}}", "brief"])).trim();
    const visibility = () => run("redis-cli", ["-s", path.join(b.home, "redis", "redis.sock"), "exists", `berth:edge:vis:${id}`]);
    expect((await visibility()).stdout.trim()).toBe("1");
    await ok(users.alice, ["rm", "-f", "brief"]);
    expect((await visibility()).stdout.trim()).toBe("0");
  });

  it("a capability link works once as ?berth_link=, then as the cookie it leaves, and as a header; an expired one is refused", async () => {
    const url = (await ok(users.alice, ["port-link", "create", "web", "8080", "--ttl", "1h"])).trim();
    expect(url).toMatch(/\?berth_link=berthlink_/);
    const secret = new URL(url).searchParams.get("berth_link")!;
    const first = await curl(url.replace("/?", "/file?"), { accept: "text/html" });
    expect(first.status).toBe(302);
    const cookie = /set-cookie: (berth_link=[^;]+)/i.exec(first.headers)?.[1];
    expect(cookie).toBeTruthy();
    expect((await curl(`${link("web", 8080)}/file`, { cookie: cookie! })).body).toBe("hello-edge\n");
    // The query form does not work twice (a pasted link is not a standing key).
    expect((await curl(url.replace("/?", "/file?"), { accept: "text/html" })).status).toBe(403);
    expect((await curl(`${link("web", 8080)}/file`, { "x-berth-link": secret })).status).toBe(200);
    expect((await curl(`${link("web", 8080)}/file`, { authorization: `Bearer ${secret}` })).status).toBe(200);
    // It opens this port only.
    expect((await curl(`${link("ws", 9000)}/`, { "x-berth-link": secret })).status).toBe(403);

    const short = (await ok(users.alice, ["port-link", "create", "web", "8080", "--ttl", "1s", "--secret"])).trim();
    await new Promise((r) => setTimeout(r, 2_500));
    const expired = await curl(`${link("web", 8080)}/file`, { "x-berth-link": short });
    expect(expired.status).toBe(403);
    expect(expired.body).toMatch(/expired/);
  });

  it("a WebSocket upgrade passes through the link and echoes bytes both ways", async () => {
    const refused = await wsExchange(`ws-9000--acme.localhost`, {}, "x");
    expect(refused.head).toMatch(/^HTTP\/1\.1 401/);
    const r = await wsExchange(`ws-9000--acme.localhost`, { authorization: `Bearer ${users.alice.token}` }, "hello over the edge");
    expect(r.head).toMatch(/^HTTP\/1\.1 101/);
    // RFC 6455's example key and its accept value, computed by the server in the container.
    expect(r.head).toMatch(/Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
    // The API token is Berth's: it is not handed to the app.
    expect(r.head).not.toContain(users.alice.token);
    expect(r.echo).toBe("hello over the edge");
  });

  it("keeps serving while web is stopped and while it restarts", async () => {
    const get = () => curl(`${link("web", 8080)}/file`, { authorization: `Bearer ${users.alice.token}` });
    expect((await get()).status).toBe(200);
    const pid = webPid();
    process.kill(pid, "SIGSTOP");
    try {
      // Past the cached answer's lifetime: web cannot answer, the edge keeps its last answer.
      await new Promise((r) => setTimeout(r, 6_000));
      for (let i = 0; i < 3; i++) expect((await get()).body).toBe("hello-edge\n");
      expect((await fetch(`${b.url}/api/health`, { signal: AbortSignal.timeout(500) }).catch(() => null))?.ok ?? false).toBe(false);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 10; i++) {
      expect((await get()).body).toBe("hello-edge\n");
      await new Promise((r) => setTimeout(r, 100));
    }
    await until("web to be back", async () => webPidOrNull() !== null && webPidOrNull() !== pid && (await fetch(`${b.url}/api/health`).then((r) => r.ok).catch(() => false)));
    expect((await get()).status).toBe(200);
  }, 60_000);

  it("in Chromium, a private link sends a signed-out visitor through Berth's sign-in and back", async () => {
    browser = await launchBrowser();
    const page = await browser.ctx.newPage();
    await page.goto(`${link("web", 8080)}/file`);
    await page.waitForURL((u) => u.host === `127.0.0.1:${b.port}`);
    const login = page.getByTestId("login-form");
    await login.locator('input[name="username"]').fill("alice");
    await login.locator('input[name="password"]').fill("alice-password-1");
    await login.locator('button[type="submit"]').click();
    await page.waitForURL(`${link("web", 8080)}/file`);
    expect(await page.textContent("body")).toContain("hello-edge");
    // bob signs in and is refused alice's private link.
    await browser.ctx.clearCookies();
    await page.goto(`${link("web", 8080)}/file`);
    await page.waitForURL((u) => u.host === `127.0.0.1:${b.port}`);
    await login.locator('input[name="username"]').fill("bob");
    await login.locator('input[name="password"]').fill("bob-password-1");
    await login.locator('button[type="submit"]').click();
    await page.waitForURL(`${link("web", 8080)}/file`);
    expect(await page.textContent("body")).not.toContain("hello-edge");
    expect(await page.textContent("body")).toMatch(/no such link/);
  }, 90_000);
});

function webPidOrNull(): number | null {
  try {
    return webPid();
  } catch {
    return null;
  }
}

/** A WebSocket handshake with RFC 6455's example key over a raw socket, then `payload` sent and read back. */
function wsExchange(host: string, headers: Record<string, string>, payload: string): Promise<{ head: string; echo: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(b.edgePort, "127.0.0.1");
    let buf = "";
    let head: string | null = null;
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no answer: ${buf}`))), 15_000);
    const done = (echo: string) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ head: head ?? buf, echo });
    };
    s.on("connect", () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
      s.write(`GET /echo HTTP/1.1\r\nHost: ${host}:${b.edgePort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
    });
    s.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      if (head === null && buf.includes("\r\n\r\n")) {
        head = buf.slice(0, buf.indexOf("\r\n\r\n"));
        buf = buf.slice(head.length + 4);
        if (!head.startsWith("HTTP/1.1 101")) return done("");
        s.write(payload);
      }
      if (head !== null && buf.length >= payload.length) done(buf);
    });
    s.on("end", () => done(buf));
    s.on("error", reject);
  });
}
