import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import { ROOT, useInstance, type RunResult } from "./harness.js";
// The same reading of the code that writes docs/policy.md: a route or event added there and
// not walked here fails the first test of each block.
import { httpRoutes, socketEvents } from "../scripts/entry-points.mjs";

/**
 * The wrong user walks every HTTP route and every socket.io event: bob (no member of acme) is
 * answered NotFound for acme and for acme's objects named from his own team, vic (acme's
 * viewer) PermissionDenied for every change; nothing of acme's changes.
 */
const b = useInstance();

type Name = "alice" | "bob" | "vic";
const tokens = {} as Record<Name, string>;
let webId = "";

const as = (name: Name, args: string[], team = "") => b.berth(args, { env: { BERTH_TOKEN: tokens[name], BERTH_TEAM: team, XDG_CONFIG_HOME: `${b.home}/cfg-${name}` } });

beforeAll(async () => {
  for (const name of ["alice", "bob", "vic"] as const) {
    const r = await b.berth(["user", "create", name]);
    expect(r.code, r.stderr).toBe(0);
    tokens[name] = r.stdout.trim();
  }
  const ok = (r: RunResult) => expect(r.code, r.stderr).toBe(0);
  ok(await as("alice", ["team", "create", "acme"]));
  ok(await as("alice", ["team", "add", "acme", "vic", "--role", "viewer"]));
  ok(await as("alice", ["tag", "busybox", "acme-box:1"], "acme"));
  ok(await as("alice", ["tag", "busybox", "127.0.0.1:1/acme/box:1"], "acme"));
  const run = await as("alice", ["run", "-d", "--name", "web", "busybox", "sleep", "300"], "acme");
  ok(run);
  webId = run.stdout.trim();
  ok(await as("alice", ["project", "create", "site"], "acme"));
}, 120_000);

interface Call {
  method: string;
  query?: string;
  body?: string;
  /** Names one of acme's objects (so bob, in his own team, is refused it too). */
  object?: boolean;
}

/** How to call each route: a request that would do something if the policy let it. */
const HTTP: Record<string, Call[]> = {
  "/api/builds": [{ method: "POST", query: "t=acme-evil:1" }],
  "/api/containers/archive": [
    { method: "GET", query: "id=WEB&path=/etc", object: true },
    { method: "PUT", query: "id=WEB&path=/tmp", object: true },
  ],
  "/api/containers/export": [{ method: "GET", query: "id=WEB", object: true }],
  "/api/containers/logs": [{ method: "GET", query: "id=WEB", object: true }],
  "/api/images/bootstrap": [{ method: "POST", body: JSON.stringify({ name: "busybox" }) }],
  "/api/images/import": [{ method: "POST", query: "ref=acme-evil:2" }],
  "/api/images/load": [{ method: "POST" }],
  "/api/images/pull": [{ method: "POST", body: JSON.stringify({ ref: "127.0.0.1:1/x/y:1" }) }],
  "/api/images/push": [{ method: "POST", body: JSON.stringify({ ref: "127.0.0.1:1/acme/box:1" }), object: true }],
  "/api/images/save": [{ method: "GET", query: "name=acme-box:1", object: true }],
  "/api/v1/containers/run": [{ method: "POST", body: JSON.stringify({ image: "busybox", cmd: ["true"] }) }],
  // git's smart HTTP: the team is in the path (acme's project "site")
  "/git/TEAM/NAME.git/info/refs?service=git-upload-pack": [{ method: "GET" }],
  "/git/TEAM/NAME.git/info/refs?service=git-receive-pack": [{ method: "GET" }],
  "/git/TEAM/NAME.git/git-upload-pack": [{ method: "POST" }],
  "/git/TEAM/NAME.git/git-receive-pack": [{ method: "POST" }],
};

async function call(path: string, c: Call, who: Name, team?: string): Promise<{ status: number; kind?: string }> {
  const q = (c.query ?? "").replace("WEB", webId);
  const url = path.replace("/TEAM/", "/acme/").replace("/NAME.git/", "/site.git/");
  const res = await fetch(`${b.url}${url}${q ? `?${q}` : ""}`, {
    method: c.method,
    headers: { authorization: `Bearer ${tokens[who]}`, "content-type": c.body ? "application/json" : "application/octet-stream", ...(team ? { "x-berth-team": team } : {}) },
    ...(c.method !== "GET" ? { body: c.body ?? "" } : {}),
  });
  const text = await res.text();
  // git's routes answer refusals as text (git prints it), the kind in a header
  let kind: string | undefined = res.headers.get("x-berth-error") ?? undefined;
  try {
    kind = (JSON.parse(text) as { error?: { kind?: string } }).error?.kind;
  } catch {
    /* not JSON */
  }
  return { status: res.status, kind };
}

describe("every HTTP route, as the wrong user", () => {
  const routes = httpRoutes(ROOT) as { method: string; path: string; action: string }[];

  it("walks every route the code has", () => {
    expect(routes.length).toBeGreaterThan(5);
    expect(Object.keys(HTTP).sort()).toEqual([...new Set(routes.map((r) => r.path))].sort());
    for (const r of routes) for (const m of r.method.split(", ")) expect(HTTP[r.path]!.map((c) => c.method), `${m} ${r.path}`).toContain(m);
  });

  it("answers bob NotFound for team acme on every route", async () => {
    for (const [path, calls] of Object.entries(HTTP)) {
      for (const c of calls) expect(await call(path, c, "bob", "acme"), `${c.method} ${path}`).toEqual({ status: 404, kind: "NotFound" });
    }
  });

  it("answers bob NotFound for acme's objects named from his own team", async () => {
    for (const [path, calls] of Object.entries(HTTP)) {
      for (const c of calls.filter((x) => x.object)) expect(await call(path, c, "bob"), `${c.method} ${path}`).toEqual({ status: 404, kind: "NotFound" });
    }
  });

  it("answers acme's viewer PermissionDenied for every change", async () => {
    const reads = new Set(["image.save", "image.pull", "container.logs", "project.read"]);
    for (const r of routes.filter((x) => !reads.has(x.action))) {
      for (const c of HTTP[r.path]!) expect(await call(r.path, c, "vic", "acme"), `${c.method} ${r.path}`).toEqual({ status: 403, kind: "PermissionDenied" });
    }
  });

  it("left acme as it was", async () => {
    const ps = await as("alice", ["ps", "-a", "--format", "{{.Names}} {{.State}}"], "acme");
    expect(ps.stdout.trim()).toBe("web running");
    const images = await as("alice", ["images", "--format", "{{.Repository}}:{{.Tag}}"], "acme");
    expect(images.stdout).not.toContain("acme-evil");
  });
});

/** Events a client sends, and how each answers a refusal. */
const SOCKET: Record<string, { payload: () => object; answer: "ack" | string }> = {
  "exec:start": { payload: () => ({ containerId: webId, cmd: ["true"] }), answer: "ack" },
  "attach:start": { payload: () => ({ containerId: webId }), answer: "ack" },
  "logs:open": { payload: () => ({ containerId: webId }), answer: "ack" },
  "logs:subscribe": { payload: () => ({ containerId: webId, follow: false }), answer: "logs:error" },
  "build:subscribe": { payload: () => ({ buildId: "00000000-0000-4000-8000-000000000000" }), answer: "build:error" },
  "terminal:open": { payload: () => ({ containerId: webId }), answer: "ack" },
  "terminal:join": { payload: () => ({ id: "0123456789abcdef" }), answer: "ack" },
  "terminal:recording": { payload: () => ({ id: "0123456789abcdef-1" }), answer: "ack" },
};
/** Events that act on a session the same socket opened (a stranger's session id is unknown to it). */
const SESSION_EVENTS = ["logs:next", "logs:close", "logs:unsubscribe", "exec:stdin", "exec:resize", "terminal:control", "build:unsubscribe", "events:next", "events:close"];
/** Reads filtered to the user's teams rather than refused (checked in test/teams-scope.test.ts). */
const FILTERED_EVENTS = ["events:open", "terminal:list"];

describe("every socket.io event, as the wrong user", () => {
  const events = socketEvents(ROOT) as { event: string; action: string | null }[];
  const sockets: Socket[] = [];
  afterAll(() => sockets.forEach((s) => s.disconnect()));

  async function connect(who: Name, team: string): Promise<Socket> {
    const s = io(b.url, { auth: { token: tokens[who], team }, transports: ["websocket"], reconnection: false });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => {
      s.once("connect", () => resolve());
      s.once("connect_error", reject);
    });
    return s;
  }

  async function refusal(s: Socket, event: string): Promise<string | undefined> {
    const spec = SOCKET[event]!;
    if (spec.answer === "ack") {
      const a = (await s.timeout(20_000).emitWithAck(event, spec.payload())) as { kind?: string };
      return a.kind;
    }
    const answer = new Promise<{ kind?: string }>((resolve) => s.once(spec.answer, resolve));
    s.emit(event, spec.payload());
    return (await answer).kind;
  }

  it("walks every event the code has", () => {
    expect(events.length).toBeGreaterThan(5);
    expect([...Object.keys(SOCKET), ...SESSION_EVENTS, ...FILTERED_EVENTS].sort()).toEqual(events.map((e) => e.event).sort());
    expect(events.filter((e) => e.action && !FILTERED_EVENTS.includes(e.event)).map((e) => e.event).sort()).toEqual(Object.keys(SOCKET).sort());
  });

  it("answers bob NotFound for team acme, and for acme's container from his own team", async () => {
    const inAcme = await connect("bob", "acme");
    const own = await connect("bob", "");
    for (const event of Object.keys(SOCKET)) {
      expect(await refusal(inAcme, event), `${event} in acme`).toBe("NotFound");
      expect(await refusal(own, event), `${event} from bob's team`).toBe("NotFound");
    }
  });

  it("answers acme's viewer PermissionDenied for a terminal", async () => {
    const vic = await connect("vic", "acme");
    for (const event of ["exec:start", "attach:start", "terminal:open", "terminal:join", "terminal:recording"]) expect(await refusal(vic, event), event).toBe("PermissionDenied");
    // …and lets the viewer read the logs.
    const a = (await vic.timeout(20_000).emitWithAck("logs:open", { containerId: webId })) as { session?: string; kind?: string };
    expect(a.kind).toBeUndefined();
    expect(a.session).toBeDefined();
  });
});

describe("a removed container's exit (run -d --rm whose start failed)", () => {
  const removedExit = async (who: Name, id: string, team: string) => {
    const res = await fetch(`${b.url}/api/trpc/container.removedExit?input=${encodeURIComponent(JSON.stringify({ id }))}`, { headers: { authorization: `Bearer ${tokens[who]}`, "x-berth-team": team } });
    const body = (await res.json()) as { result?: { data?: { exitCode: number | null; error?: string } }; error?: { data?: { kind?: string } } };
    return { status: res.status, data: body.result?.data, kind: body.error?.data?.kind };
  };

  it("is told to its team, and to nobody else", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const run = await as("alice", ["run", "-d", "--rm", "busybox", "no-such-command"], "acme");
    expect(run.code, run.stderr).toBe(127);
    const ev = await as("alice", ["events", "--since", String(since), "--until", String(Math.floor(Date.now() / 1000) + 1), "--filter", "event=die", "--format", "{{.Actor.ID}}"], "acme");
    expect(ev.code, ev.stderr).toBe(0);
    const id = ev.stdout.trim().split("\n").pop()!;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const mine = await removedExit("alice", id, "acme");
    expect(mine.status).toBe(200);
    expect(mine.data).toMatchObject({ exitCode: 127, error: expect.stringContaining("no-such-command") });
    // bob, from his own team, is told no such container; he cannot name acme's team either.
    const bobs = await as("bob", ["team", "ls", "--format", "{{.Name}}"]);
    const bobTeam = bobs.stdout.trim().split("\n")[0]!;
    expect(await removedExit("bob", id, bobTeam)).toMatchObject({ status: 404, data: undefined });
    expect((await removedExit("bob", id, "acme")).status).toBe(404);
  }, 60_000);
});
