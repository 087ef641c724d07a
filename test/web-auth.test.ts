/**
 * web on its own (no worker): authentication of the tRPC API and socket.io, the first-run
 * set-up, login and sessions, the admin token written at start, and the socket.io log
 * stream protocol fed by entries written straight into Redis.
 *
 * It starts its own Redis, migrated SQLite and `node web/dist/server.js` (not the whole
 * instance of harness.ts), so it tests web alone and needs no worker.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeLogEntry, logStreamKey, type LogEntry } from "@berth/core";
import { connectRedis, type Redis } from "@berth/core/redis";
import { createDb, type PrismaClient } from "@berth/core/db";
import { freePort, ROOT, run } from "./harness.js";
import { trpc } from "./trpc.js";

interface WebOnly {
  url: string;
  home: string;
  redisUrl: string;
  databaseUrl: string;
  token: () => string;
  restartWeb(): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startWebOnly(): Promise<WebOnly> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "berth-web-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const sock = path.join(home, "redis.sock");
  const redisUrl = `unix://${sock}`;
  const databaseUrl = `file:${path.join(home, "berth.db")}`;
  let output = "";
  const collect = (c: ChildProcess) => {
    c.stdout?.setEncoding("utf8").on("data", (d: string) => (output += d));
    c.stderr?.setEncoding("utf8").on("data", (d: string) => (output += d));
  };
  const redis = spawn("redis-server", ["--port", "0", "--unixsocket", sock, "--unixsocketperm", "700", "--dir", home, "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  collect(redis);
  await waitFor("redis", async () => fs.existsSync(sock), 10_000, () => output);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BERTH_HOME: home,
    BERTH_PORT: String(port),
    BERTH_HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    BERTH_LOG_LEVEL: "info",
  };
  delete env.BERTH_TOKEN;
  const migrate = await run(process.execPath, [path.join(ROOT, "node_modules/prisma/build/index.js"), "migrate", "deploy"], { env, timeoutMs: 60_000 });
  if (migrate.code !== 0) throw new Error(`migrate deploy failed:\n${migrate.stdout}${migrate.stderr}`);

  let web: ChildProcess | undefined;
  const startWeb = async () => {
    const started = Date.now();
    web = spawn(process.execPath, [path.join(ROOT, "web/dist/server.js")], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    collect(web);
    await waitFor("web /api/health", async () => (await fetch(`${url}/api/health`)).ok, 30_000, () => output);
    return Date.now() - started;
  };
  const stopWeb = async () => {
    if (!web || web.exitCode !== null) return;
    const exited = new Promise((r) => web!.once("exit", r));
    web.kill("SIGTERM");
    await exited;
  };
  await startWeb();
  return {
    url,
    home,
    redisUrl,
    databaseUrl,
    token: () => fs.readFileSync(path.join(home, "admin.token"), "utf8").trim(),
    restartWeb: async () => {
      await stopWeb();
      await startWeb();
    },
    logs: () => output,
    stop: async () => {
      await stopWeb();
      redis.kill("SIGTERM");
      await new Promise((r) => (redis.exitCode !== null ? r(null) : redis.once("exit", r)));
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A tRPC call with a cookie instead of a token; returns the Set-Cookie headers too. */
async function call<T>(
  url: string,
  proc: string,
  opts: { input?: unknown; kind?: "query" | "mutation"; cookie?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; data?: T; error?: { message: string; data?: { code?: string; kind?: string | null } }; setCookie: string[] }> {
  const headers: Record<string, string> = { "content-type": "application/json", ...opts.headers };
  if (opts.cookie) headers.cookie = opts.cookie;
  const res =
    (opts.kind ?? "query") === "query"
      ? await fetch(`${url}/api/trpc/${proc}${opts.input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(opts.input))}`}`, { headers })
      : await fetch(`${url}/api/trpc/${proc}`, { method: "POST", headers, body: JSON.stringify(opts.input ?? {}) });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string; data?: { code?: string } } };
  return { status: res.status, ...(body.result ? { data: body.result.data } : {}), ...(body.error ? { error: body.error } : {}), setCookie: res.headers.getSetCookie() };
}

const cookieOf = (setCookie: string[]) => setCookie.map((c) => c.split(";")[0]!).find((c) => c.startsWith("berth_session=")) ?? "";

/** Resolves with the connect_error message, or "connected". */
function tryConnect(url: string, opts: Parameters<typeof io>[1]): Promise<{ result: string; socket: Socket }> {
  const socket = io(url, { reconnection: false, transports: ["websocket"], ...opts });
  return new Promise((resolve) => {
    socket.once("connect", () => resolve({ result: "connected", socket }));
    socket.once("connect_error", (err: Error) => resolve({ result: err.message, socket }));
  });
}

let w: WebOnly;
beforeAll(async () => {
  w = await startWebOnly();
});
afterAll(async () => {
  await w?.stop();
});

describe("start-up", () => {
  it("answers /api/health publicly, with no worker online", async () => {
    const res = await fetch(`${w.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, hostsOnline: 0, agentsOnline: 0 });
  });

  it("writes a working admin token to $BERTH_HOME/admin.token, mode 0600", async () => {
    const file = path.join(w.home, "admin.token");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(w.token()).toMatch(/^berth_[A-Za-z0-9_-]{43}$/);
    const me = await trpc<{ name: string; isAdmin: boolean }>(w.url, w.token(), "auth.whoami");
    expect(me.data).toEqual({ name: "admin", isAdmin: true });
  });
});

describe("tRPC authentication", () => {
  it("refuses a call without credentials with 401 UNAUTHORIZED", async () => {
    const r = await trpc(w.url, undefined, "container.list");
    expect(r.status).toBe(401);
    expect(r.error?.data?.code).toBe("UNAUTHORIZED");
    expect(r.error?.message).toBe("authentication required: log in, or pass an API token (BERTH_TOKEN)");
  });

  it("refuses a wrong token", async () => {
    const r = await trpc(w.url, "berth_not-a-real-token", "container.list");
    expect(r.status).toBe(401);
    expect(r.error?.data?.code).toBe("UNAUTHORIZED");
    const forged = await trpc(w.url, `${w.token()}x`, "image.list");
    expect(forged.status).toBe(401);
  });

  it("accepts the admin token", async () => {
    const r = await trpc<unknown[]>(w.url, w.token(), "container.list", { all: true });
    expect(r.status).toBe(200);
    expect(r.data).toEqual([]);
    const images = await trpc<unknown[]>(w.url, w.token(), "image.list");
    expect(images.status).toBe(200);
  });

  it("maps core error kinds to tRPC codes", async () => {
    const missing = await trpc(w.url, w.token(), "container.byId", { id: "nope" });
    expect(missing.status).toBe(404);
    expect(missing.error?.message).toBe("No such container: nope");
    expect(missing.error?.data).toMatchObject({ code: "NOT_FOUND", kind: "NotFound" });
    const noImage = await trpc(w.url, w.token(), "container.run", { image: "busybox2" }, "mutation");
    expect(noImage.error?.data).toMatchObject({ code: "NOT_FOUND", kind: "NotFound" });
    expect(noImage.error?.message).toBe("No such image: busybox2:latest");
    const badInput = await trpc(w.url, w.token(), "container.run", { image: "busybox", name: "no spaces" }, "mutation");
    expect(badInput.status).toBe(400);
    expect(badInput.error?.data?.code).toBe("BAD_REQUEST");
  });
});

describe("socket.io authentication", () => {
  it("refuses a connection without credentials", async () => {
    const { result, socket } = await tryConnect(w.url, {});
    socket.close();
    expect(result).toBe("unauthorized");
  });

  it("refuses a wrong token", async () => {
    const { result, socket } = await tryConnect(w.url, { auth: { token: "berth_wrong" } });
    socket.close();
    expect(result).toBe("unauthorized");
  });

  it("accepts the admin token", async () => {
    const { result, socket } = await tryConnect(w.url, { auth: { token: w.token() } });
    socket.close();
    expect(result).toBe("connected");
  });
});

describe("first-run set-up, login and sessions", () => {
  let cookie = "";
  const code = () => fs.readFileSync(path.join(w.home, "setup.code"), "utf8").trim();

  it("reports that set-up is needed", async () => {
    const r = await call<{ needsSetup: boolean; user: unknown }>(w.url, "auth.status");
    expect(r.data).toEqual({ needsSetup: true, oidc: null, user: null });
  });

  it("refuses a password shorter than 8 characters", async () => {
    const r = await call(w.url, "auth.setup", { kind: "mutation", input: { name: "alice", password: "short", code: code() } });
    expect(r.status).toBe(400);
    expect(r.error?.data?.code).toBe("BAD_REQUEST");
  });

  it("claims the admin account once, and logs in with a session cookie", async () => {
    const r = await call<{ name: string }>(w.url, "auth.setup", { kind: "mutation", input: { name: "alice", password: "correct horse", code: code() } });
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ name: "alice" });
    const set = r.setCookie.find((c) => c.startsWith("berth_session="));
    expect(set).toBeDefined();
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
    cookie = cookieOf(r.setCookie);

    const me = await call<{ name: string; isAdmin: boolean }>(w.url, "auth.whoami", { cookie });
    expect(me.data).toEqual({ name: "alice", isAdmin: true });
    const status = await call<{ needsSetup: boolean; user: unknown }>(w.url, "auth.status", { cookie });
    expect(status.data).toEqual({ needsSetup: false, oidc: null, user: { name: "alice", isAdmin: true } });
    // The admin token now belongs to the renamed account.
    const viaToken = await trpc<{ name: string }>(w.url, w.token(), "auth.whoami");
    expect(viaToken.data?.name).toBe("alice");
  });

  it("refuses a second set-up", async () => {
    const r = await call(w.url, "auth.setup", { kind: "mutation", input: { name: "mallory", password: "mallory-password" } });
    expect(r.status).toBe(412);
    expect(r.error?.data?.code).toBe("PRECONDITION_FAILED");
    const again = await call(w.url, "auth.login", { kind: "mutation", input: { name: "mallory", password: "mallory-password" } });
    expect(again.status).toBe(401);
  });

  it("refuses a wrong password, and an unknown user, with the same message", async () => {
    const wrong = await call(w.url, "auth.login", { kind: "mutation", input: { name: "alice", password: "wrong password" } });
    expect(wrong.status).toBe(401);
    expect(wrong.error?.data?.code).toBe("UNAUTHORIZED");
    expect(wrong.error?.message).toBe("invalid username or password");
    expect(wrong.setCookie.filter((c) => c.startsWith("berth_session="))).toEqual([]);
    const unknown = await call(w.url, "auth.login", { kind: "mutation", input: { name: "bob", password: "whatever1" } });
    expect(unknown.error?.message).toBe("invalid username or password");
  });

  it("logs in with the right password; the cookie opens socket.io; logout ends the session", async () => {
    const r = await call<{ name: string }>(w.url, "auth.login", { kind: "mutation", input: { name: "alice", password: "correct horse" } });
    expect(r.data).toEqual({ name: "alice" });
    const session = cookieOf(r.setCookie);
    expect(session).not.toBe("");

    const ok = await tryConnect(w.url, { extraHeaders: { cookie: session } });
    ok.socket.close();
    expect(ok.result).toBe("connected");
    // The cookie only counts for pages of this origin (no cross-site WebSocket hijacking).
    const cross = await tryConnect(w.url, { extraHeaders: { cookie: session, origin: "http://evil.example" } });
    cross.socket.close();
    expect(cross.result).toMatch(/^unauthorized: cross-origin/);

    const out = await call<{ ok: true }>(w.url, "auth.logout", { kind: "mutation", cookie: session });
    expect(out.data).toEqual({ ok: true });
    expect(out.setCookie.some((c) => /^berth_session=;/.test(c))).toBe(true);
    const after = await call(w.url, "container.list", { cookie: session });
    expect(after.status).toBe(401);
    // The other session (from set-up) is still valid.
    expect((await call(w.url, "auth.whoami", { cookie })).status).toBe(200);
  });

  it("keeps the admin token across restarts, and replaces one the database does not know", async () => {
    const before = w.token();
    await w.restartWeb();
    expect(w.token()).toBe(before);

    fs.writeFileSync(path.join(w.home, "admin.token"), "berth_stale-token-from-a-reset-database");
    await w.restartWeb();
    const fresh = w.token();
    expect(fresh).not.toBe("berth_stale-token-from-a-reset-database");
    expect(fs.statSync(path.join(w.home, "admin.token")).mode & 0o777).toBe(0o600);
    expect((await trpc(w.url, fresh, "auth.whoami")).status).toBe(200);
    // Set-up stays done: the account keeps its password.
    expect((await call<{ needsSetup: boolean }>(w.url, "auth.status")).data?.needsSetup).toBe(false);
  });
});

describe("socket.io log streams (entries written straight to Redis)", () => {
  let db: PrismaClient;
  let redis: Redis;
  const hostId = "web-auth-test-host";
  const imageId = `sha256:${"e".repeat(64)}`;

  beforeAll(async () => {
    db = createDb(w.databaseUrl);
    redis = connectRedis(w.redisUrl);
    await db.host.create({ data: { id: hostId, name: "test", lastSeenAt: new Date(0) } });
    await db.image.create({ data: { id: imageId, manifestDigest: `sha256:${"f".repeat(64)}`, size: 1 } });
  });
  afterAll(async () => {
    redis?.disconnect();
    await db?.$disconnect();
  });

  const newContainer = async (name: string) => {
    const id = [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
    // The admin's personal team (made at start-up): where the admin token acts.
    const team = await db.team.findFirstOrThrow({ where: { personal: true, members: { some: { user: { isAdmin: true } } } } });
    await db.container.create({ data: { id, name, teamId: team.id, imageId, imageRef: "test:latest", hostId, cmd: "[]", state: "running" } });
    return id;
  };
  const add = (id: string, e: LogEntry) => redis.xadd(logStreamKey(id), "*", ...encodeLogEntry(e));
  const time = () => new Date().toISOString();

  async function follow(ask: string, until: (entries: LogEntry[]) => boolean, follow = true) {
    const { result, socket } = await tryConnect(w.url, { auth: { token: w.token() } });
    expect(result).toBe("connected");
    const entries: LogEntry[] = [];
    const errors: { message: string; kind: string }[] = [];
    const done = new Promise<void>((resolve) => {
      socket.on("logs:entry", (m: { containerId: string; entry: LogEntry }) => {
        if (m.containerId !== ask) return;
        entries.push(m.entry);
        if (until(entries)) resolve();
      });
      socket.on("logs:error", (m: { containerId: string; message: string; kind: string }) => {
        errors.push(m);
        resolve();
      });
    });
    socket.emit("logs:subscribe", { containerId: ask, follow });
    return { socket, entries, errors, done };
  }

  it("replays the backlog then follows live, in order, for 1,000 lines, ending with the exit entry", async () => {
    const id = await newContainer("order-test");
    for (let i = 1; i <= 400; i++) await add(id, { stream: i % 7 === 0 ? "stderr" : "stdout", line: `line ${i}`, time: time() });
    // Subscribe by name; the rest arrives while following.
    const sub = await follow("order-test", (e) => e.at(-1)?.stream === "exit");
    // Wait for the backlog, so the rest is surely read by the live (XREAD BLOCK) follower.
    await waitFor("the backlog", async () => sub.entries.length >= 400, 10_000, () => JSON.stringify(sub.errors));
    const pipe = redis.pipeline();
    for (let i = 401; i <= 1000; i++) pipe.xadd(logStreamKey(id), "*", ...encodeLogEntry({ stream: "stdout", line: `line ${i}`, time: time() }));
    pipe.xadd(logStreamKey(id), "*", ...encodeLogEntry({ stream: "exit", exitCode: 0, time: time() }));
    await pipe.exec();
    await sub.done;
    sub.socket.close();
    expect(sub.errors).toEqual([]);
    const lines = sub.entries.flatMap((e) => (e.stream === "exit" ? [] : [e.line]));
    expect(lines).toEqual(Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`));
    expect(sub.entries.filter((e) => e.stream === "stderr")).toHaveLength(57);
    expect(sub.entries.at(-1)).toMatchObject({ stream: "exit", exitCode: 0 });

    const logs = await trpc<{ entries: LogEntry[]; done: boolean }>(w.url, w.token(), "container.logs", { id: id.slice(0, 10), tail: 2 });
    expect(logs.data?.done).toBe(true);
    expect(logs.data?.entries.map((e) => (e.stream === "exit" ? "exit" : e.line))).toEqual(["line 999", "line 1000", "exit"]);
  });

  it("reads an auto-removed container's stream by full id after its row is gone", async () => {
    const id = await newContainer("gone-test");
    await add(id, { stream: "stdout", line: "still here", time: time() });
    await add(id, { stream: "exit", exitCode: 3, time: time() });
    await db.container.delete({ where: { id } });
    const sub = await follow(id, (e) => e.at(-1)?.stream === "exit");
    await sub.done;
    sub.socket.close();
    expect(sub.entries).toMatchObject([{ stream: "stdout", line: "still here" }, { stream: "exit", exitCode: 3 }]);
    const logs = await trpc<{ entries: LogEntry[]; done: boolean }>(w.url, w.token(), "container.logs", { id });
    expect(logs.data?.done).toBe(true);
  });

  it("reports an unknown container as a logs:error of kind NotFound", async () => {
    const sub = await follow("no-such-container", () => false);
    await sub.done;
    sub.socket.close();
    expect(sub.errors).toEqual([{ containerId: "no-such-container", message: "No such container: no-such-container", kind: "NotFound" }]);
  });

  it("relays container events from Redis to sockets", async () => {
    const { socket } = await tryConnect(w.url, { auth: { token: w.token() } });
    const got = new Promise<unknown>((resolve) => socket.once("event", resolve));
    // Retry the publish until the socket's subscription is surely in place.
    const event = { type: "container.start", id: "a".repeat(64), hostId, time: time() };
    const timer = setInterval(() => void redis.publish("events", JSON.stringify(event)), 100);
    const received = await got;
    clearInterval(timer);
    socket.close();
    expect(received).toEqual(event);
  });
});
