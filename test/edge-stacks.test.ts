/**
 * Stack links on the edge: a stack service's port answers at
 * http://<service>-<port>--<stack>--<team>.localhost:<edge>/ with the rules of port links
 * (private by default: the team's members; public; a capability link; an API token for
 * scripts; another team's answers as missing), and keeps its visibility when `stack up`
 * recreates the service. alice runs stack "shop" in team acme; bob is in another team.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, run, useInstance, type RunResult } from "./harness.js";
import { trpc } from "./trpc.js";
import { until } from "./poll.js";
import { curl } from "./curl.js";

const b = useInstance();
const tokens: Record<"alice" | "bob", string> = { alice: "", bob: "" };
let dir: string;

const link = (service: string, port: number, stack = "shop") => `http://${service}-${port}--${stack}--acme.localhost:${b.edgePort}`;

/** Real curl (Debian's resolves *.localhost to 127.0.0.1 itself). */
const alice = (args: string[]): Promise<RunResult> =>
  run(process.execPath, ["--", CLI, ...args], { cwd: dir, timeoutMs: 120_000, env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: tokens.alice, BERTH_TEAM: "acme", BERTH_HOME: b.home, XDG_CONFIG_HOME: `${b.home}/cfg-alice` } });

async function ok(args: string[]): Promise<string> {
  const r = await alice(args);
  expect(r.code, `berth ${args.join(" ")}: ${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const compose = (greeting: string) => `services:
  web:
    image: busybox
    expose: ["8080"]
    command: ["sh", "-c", "mkdir -p /www && echo ${greeting} > /www/index.html && exec httpd -f -p 8080 -h /www"]
  cache:
    image: busybox
    command: ["sh", "-c", "mkdir -p /c && echo cache > /c/index.html && exec httpd -f -p 6379 -h /c"]
`;

/** tRPC as alice in team acme. */
const call = <T>(proc: string, input: unknown, kind: "query" | "mutation" = "mutation") =>
  fetch(`${b.url}/api/trpc/${proc}${kind === "query" ? `?input=${encodeURIComponent(JSON.stringify(input))}` : ""}`, {
    method: kind === "query" ? "GET" : "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${tokens.alice}`, "x-berth-team": "acme" },
    ...(kind === "mutation" ? { body: JSON.stringify(input) } : {}),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { result?: { data: T }; error?: { message: string } } }));

beforeAll(async () => {
  for (const name of ["alice", "bob"] as const) {
    const r = await trpc<{ token: string }>(b.url, b.token, "user.create", { name, password: `${name}-password-1` }, "mutation");
    expect(r.status, JSON.stringify(r.error)).toBe(200);
    tokens[name] = r.data!.token;
  }
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "berth-edge-stacks-")), "shop");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "compose.yaml"), compose("hello-stack"));
  const made = await run(process.execPath, ["--", CLI, "team", "create", "acme"], { env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: tokens.alice, XDG_CONFIG_HOME: `${b.home}/cfg-alice` } });
  expect(made.code, made.stderr).toBe(0);
  await ok(["stack", "up", "-d"]);
  await until("the stack link to answer", async () => (await curl(link("web", 8080), { authorization: `Bearer ${tokens.alice}` }).catch(() => ({ status: 0 }))).status === 200);
}, 180_000);

afterAll(async () => {
  if (dir) {
    await alice(["stack", "down", "-v"]);
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

describe("stack links on the edge", () => {
  it("a service's link is private: the team's member with an API token passes; signed out, another team and a bad token do not", async () => {
    const mine = await curl(link("web", 8080), { authorization: `Bearer ${tokens.alice}` });
    expect(mine).toMatchObject({ status: 200, body: "hello-stack\n" });
    expect((await curl(link("cache", 6379), { authorization: `Bearer ${tokens.alice}` })).body).toBe("cache\n");
    const out = await curl(link("web", 8080));
    expect(out.status).toBe(401);
    expect(out.body).not.toContain("hello-stack");
    // A browser is sent through Berth's sign-in.
    const browser = await curl(link("web", 8080), { accept: "text/html" });
    expect(browser.status).toBe(302);
    expect(browser.headers).toMatch(new RegExp(`location: http://127\\.0\\.0\\.1:${b.port}/\\?next=`, "i"));
    expect((await curl(link("web", 8080), { authorization: `Bearer ${tokens.bob}` })).status).toBe(404);
    expect((await curl(link("web", 8080), { authorization: "Bearer berth_not-a-token" })).status).toBe(401);
    // No such service, no such stack.
    expect((await curl(link("nope", 8080), { authorization: `Bearer ${tokens.alice}` })).status).toBe(404);
    expect((await curl(link("web", 8080, "other"), { authorization: `Bearer ${tokens.alice}` })).status).toBe(404);
  });

  it("lists the links; public opens one to anyone and it stays public when up recreates the service", async () => {
    const ports = await call<{ service: string; port: number; visibility: string; url: string }[]>("stack.ports", { name: "shop" }, "query");
    // web exposes 8080; cache exposes nothing (its link works all the same, as any port's).
    expect(ports.body.result?.data).toEqual([{ service: "web", port: 8080, visibility: "private", url: `${link("web", 8080)}/` }]);
    const set = await call("stack.setPort", { name: "shop", service: "web", port: 8080, visibility: "public" });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    await until("the public link", async () => (await curl(link("web", 8080))).status === 200);
    // bob cannot change acme's links.
    const refused = await fetch(`${b.url}/api/trpc/stack.setPort`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${tokens.bob}`, "x-berth-team": "acme" }, body: JSON.stringify({ name: "shop", service: "web", port: 8080, visibility: "private" }) });
    expect(refused.status).not.toBe(200);
    const before = JSON.parse(await ok(["stack", "ps", "--format", "json"])) as { service: string; id: string }[];
    fs.writeFileSync(path.join(dir, "compose.yaml"), compose("hello-again"));
    await ok(["stack", "up", "-d"]);
    const after = JSON.parse(await ok(["stack", "ps", "--format", "json"])) as { service: string; id: string }[];
    expect(after.find((r) => r.service === "web")!.id).not.toBe(before.find((r) => r.service === "web")!.id);
    await until("the recreated service behind the public link", async () => (await curl(link("web", 8080))).body === "hello-again\n");
    await call("stack.setPort", { name: "shop", service: "web", port: 8080, visibility: "private" });
    await until("the link to be private again", async () => (await curl(link("web", 8080))).status === 401);
  }, 120_000);

  it("a capability link opens one service port: once as ?berth_link=, then as its cookie, and as a header", async () => {
    const made = await call<{ url: string; secret: string }>("stack.link", { name: "shop", service: "web", port: 8080, ttl: "1h" });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    const { url, secret } = made.body.result!.data;
    expect(url.startsWith(`${link("web", 8080)}/?berth_link=berthlink_`)).toBe(true);
    const first = await curl(url, { accept: "text/html" });
    expect(first.status).toBe(302);
    const cookie = /set-cookie: (berth_link=[^;]+)/i.exec(first.headers)?.[1];
    expect((await curl(link("web", 8080), { cookie: cookie! })).body).toBe("hello-again\n");
    expect((await curl(url, { accept: "text/html" })).status).toBe(403);
    expect((await curl(link("web", 8080), { "x-berth-link": secret })).status).toBe(200);
    // Only that port of that service.
    expect((await curl(link("cache", 6379), { "x-berth-link": secret })).status).toBe(403);
  });
});
