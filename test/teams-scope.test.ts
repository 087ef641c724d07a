/**
 * What one team does stays out of another team's sight, through the real CLI, HTTP, tRPC and
 * socket.io: events (replayed and live), pulled and loaded images, a build's FROM, a build's
 * output and disk usage. alice owns team acme; bob is in no team but his own.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { create as createTar } from "tar";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useInstance, type RunResult } from "./harness.js";
import { OCI_MANIFEST, sha256, writeOciLayout } from "./registry-helpers.js";
import { until } from "./poll.js";

const b = useInstance();

interface User {
  name: string;
  token: string;
  berth(args: string[], team?: string): Promise<RunResult>;
}
const users: Record<"alice" | "bob", User> = {} as never;
let work = "";
let fake: http.Server | undefined;
let fakeHost = "";
const sockets: Socket[] = [];

function as(name: string, token: string): User {
  return {
    name,
    token,
    berth: (args, team) => b.berth(args, { env: { BERTH_TOKEN: token, BERTH_TEAM: team ?? "", XDG_CONFIG_HOME: `${b.home}/cfg-${name}` } }),
  };
}

async function ok(u: User, args: string[], team?: string): Promise<string> {
  const r = await u.berth(args, team);
  expect(r.code, `${u.name}: berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function trpc(token: string, path: string, input: unknown, team?: string): Promise<{ status: number; kind?: string; data?: unknown }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(team ? { "x-berth-team": team } : {}) };
  const res = await fetch(`${b.url}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
  const body = (await res.json()) as { result?: { data?: unknown }; error?: { data?: { kind?: string } } };
  return { status: res.status, kind: body.error?.data?.kind, data: body.result?.data };
}

async function connect(token: string): Promise<Socket> {
  const socket = io(b.url, { auth: { token }, transports: ["websocket"] });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return socket;
}

/** A registry without auth serving one image as x/img:1. */
function startFake(dir: string): Promise<void> {
  const img = writeOciLayout(dir, "1", { "etc/acme": "acme's pulled image\n" });
  const blob = (d: string) => fs.readFileSync(path.join(dir, "layout", "blobs", "sha256", d.slice(7)));
  fake = http.createServer((req, res) => {
    if (req.url === "/v2/") return void res.writeHead(200).end("{}");
    const m = /^\/v2\/x\/img\/(manifests|blobs)\/(.+)$/.exec(req.url ?? "");
    if (!m) return void res.writeHead(404).end();
    if (m[1] === "manifests") {
      const body = blob(img.manifestDigest);
      return void res.writeHead(200, { "content-type": OCI_MANIFEST, "docker-content-digest": sha256(body) }).end(body);
    }
    const data = blob(m[2]!);
    res.writeHead(200, { "content-length": data.length }).end(data);
  });
  return new Promise((resolve) =>
    fake!.listen(0, "127.0.0.1", () => {
      fakeHost = `127.0.0.1:${(fake!.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

async function contextTar(dockerfile: string): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(work, "ctx-"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), dockerfile);
  const file = `${dir}.tar`;
  await createTar({ cwd: dir, file, portable: true }, ["."]);
  return fs.readFileSync(file);
}

async function build(u: User, dockerfile: string, tag: string, team?: string): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(work, "build-"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), dockerfile);
  return u.berth(["build", "-t", tag, dir], team);
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-teams-scope-"));
  for (const name of ["alice", "bob"] as const) {
    const r = await b.berth(["user", "create", name]);
    expect(r.code, r.stderr).toBe(0);
    users[name] = as(name, r.stdout.trim());
  }
  await ok(users.alice, ["team", "create", "acme"]);
  await startFake(path.join(work, "fake"));
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await new Promise<void>((resolve) => (fake ? fake.close(() => resolve()) : resolve()));
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("events", () => {
  it("replays to `berth events` only the events of teams the reader is in (the site admin: all)", async () => {
    const { alice, bob } = users;
    const since = String(Math.floor(Date.now() / 1000) - 1);
    await ok(alice, ["run", "--rm", "--name", "acme-ev", "busybox", "true"], "acme");
    await ok(alice, ["tag", "busybox", "acme-ev-tag:1"], "acme");
    await ok(bob, ["run", "--rm", "--name", "bob-ev", "busybox", "true"]);
    const read = (u: User | undefined) => (u ? ok(u, ["events", "--since", since, "--until", "0s"]) : b.berth(["events", "--since", since, "--until", "0s"]).then((r) => r.stdout));
    const [forAlice, forBob, forAdmin] = await Promise.all([read(alice), read(bob), read(undefined)]);
    expect(forAlice).toMatch(/container create \S+ \(image=busybox:latest, name=acme-ev\)/);
    expect(forAlice).toMatch(/container destroy \S+ \(image=busybox:latest, name=acme-ev\)/);
    expect(forAlice).toMatch(/image tag \S+ \(name=acme-ev-tag:1\)/);
    // bob sees his own, nothing of acme's.
    expect(forBob).toMatch(/container start \S+ \(image=busybox:latest, name=bob-ev\)/);
    expect(forBob).not.toContain("acme-ev");
    expect(forAdmin).toContain("name=acme-ev)");
    expect(forAdmin).toContain("name=bob-ev)");
  }, 90_000);

  it("relays live events over socket.io only to sockets whose user may see the team", async () => {
    const { alice, bob } = users;
    const seen: Record<"alice" | "bob", { type: string; attributes?: Record<string, string> }[]> = { alice: [], bob: [] };
    for (const who of ["alice", "bob"] as const) {
      const socket = await connect(users[who].token);
      socket.on("event", (e: { type: string; attributes?: Record<string, string> }) => seen[who].push(e));
    }
    const named = (who: "alice" | "bob", name: string, type: string) => seen[who].some((e) => e.type === type && e.attributes?.name === name);
    await ok(alice, ["run", "--rm", "--name", "acme-live", "busybox", "true"], "acme");
    await until("alice's socket to get acme-live's create", () => named("alice", "acme-live", "container.create"));
    // bob's own event comes after acme's: once it is there, acme's would have been too.
    await ok(bob, ["run", "--rm", "--name", "bob-live", "busybox", "true"]);
    await until("bob's socket to get bob-live's create", () => named("bob", "bob-live", "container.create"));
    expect(seen.bob.filter((e) => e.attributes?.name === "acme-live")).toEqual([]);
    expect(named("alice", "bob-live", "container.create")).toBe(false);
  }, 90_000);
});

describe("pulled and loaded images belong to the team that fetched them", () => {
  it("tags a pull for the puller's team: another team neither lists nor removes it", async () => {
    const { alice, bob } = users;
    const ref = `${fakeHost}/x/img:1`;
    await ok(alice, ["pull", ref], "acme");
    expect(await ok(alice, ["images"], "acme")).toContain(`${fakeHost}/x/img`);
    expect(await ok(bob, ["images"])).not.toContain(`${fakeHost}/x/img`);
    const rmi = await bob.berth(["rmi", ref]);
    expect(rmi.code).not.toBe(0);
    expect(rmi.stderr).toMatch(/No such image/);
  }, 90_000);

  it("tags a load for the loader's team", async () => {
    const { alice, bob } = users;
    const file = path.join(work, "loadme.tar");
    await ok(alice, ["tag", "busybox", "loadme:1"], "acme");
    await ok(alice, ["save", "-o", file, "loadme:1"], "acme");
    await ok(alice, ["rmi", "loadme:1"], "acme");
    expect(await ok(alice, ["load", "-i", file], "acme")).toContain("Loaded image: loadme:1");
    expect(await ok(alice, ["images"], "acme")).toMatch(/^loadme\s+1\s/m);
    expect(await ok(bob, ["images"])).not.toMatch(/^loadme\s/m);
  }, 90_000);
});

describe("builds", () => {
  it("refuses FROM another team's image exactly as a missing one", async () => {
    const { alice, bob } = users;
    await ok(alice, ["tag", "busybox", "acme-base:1"], "acme");
    const own = await build(alice, "FROM acme-base:1\nRUN echo built-on-acme-base\n", "acme-app:1", "acme");
    expect(own.code, own.stderr).toBe(0);
    const theirs = await build(bob, "FROM acme-base:1\nRUN true\n", "bob-app:1");
    const missing = await build(bob, "FROM nosuch-base:1\nRUN true\n", "bob-app:2");
    expect(theirs.code).not.toBe(0);
    expect(missing.code).not.toBe(0);
    expect(theirs.stderr).toMatch(/FROM acme-base:1: no such image/);
    expect(theirs.stderr.replaceAll("acme-base", "X")).toBe(missing.stderr.replaceAll("nosuch-base", "X"));
  }, 180_000);

  it("shows a build's output only to the team it ran for (tRPC build.output and build:subscribe)", async () => {
    const { alice, bob } = users;
    const res = await fetch(`${b.url}/api/builds?t=acme-out:1`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "x-berth-team": "acme", "content-type": "application/x-tar" },
      body: await contextTar("FROM busybox\nRUN echo acme-secret-output\n"),
    });
    expect(res.status).toBe(200);
    const buildId = res.headers.get("x-build-id")!;
    await res.text(); // the build's end
    const mine = await trpc(alice.token, "build.output", { buildId }, "acme");
    expect(mine.status).toBe(200);
    expect(JSON.stringify(mine.data)).toContain("acme-secret-output");
    const theirs = await trpc(bob.token, "build.output", { buildId });
    expect([theirs.status, theirs.kind]).toEqual([404, "NotFound"]);
    // Over socket.io: the same refusal as an unknown build.
    const socket = await connect(bob.token);
    const got: { kind: string; message: string }[] = [];
    socket.on("build:entry", () => got.push({ kind: "entry", message: "" }));
    socket.on("build:error", (m: { kind: string; message: string }) => got.push(m));
    socket.emit("build:subscribe", { buildId });
    await until("bob's answer", () => got.length > 0);
    expect(got[0]).toMatchObject({ kind: "NotFound", message: expect.stringMatching(/No such build/) });
  }, 180_000);
});

describe("system df", () => {
  it("counts only what the caller's team sees", async () => {
    const { alice, bob } = users;
    const id = (await ok(alice, ["run", "-d", "--name", "acme-df", "busybox", "sleep", "300"], "acme")).trim();
    type Df = { images: { total: number }; containers: { total: number; sizes?: Record<string, number> } };
    const forAlice = (await trpc(alice.token, "image.df", {}, "acme")).data as Df;
    const forBob = (await trpc(bob.token, "image.df", {})).data as Df;
    const forAdmin = (await trpc(b.token, "image.df", {})).data as Df;
    expect(Object.keys(forAlice.containers.sizes ?? {})).toContain(id);
    expect(Object.keys(forBob.containers.sizes ?? {})).not.toContain(id);
    expect(forBob.containers.total).toBe(0);
    expect(forAdmin.containers.total).toBeGreaterThanOrEqual(1);
    // acme's pulled image is not bob's to count.
    expect(forBob.images.total).toBeLessThan(forAdmin.images.total);
    expect(forAlice.images.total).toBeGreaterThan(forBob.images.total);
  }, 90_000);
});
