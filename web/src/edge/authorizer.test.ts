import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { agentKeyPath, createLogger, type EdgeDecision } from "@berth/core";
import { EdgeAuthorizer } from "./authorizer.js";

const servers: http.Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** A stand-in for web's /api/edge/authorize on loopback: counts the asks, answers `answer()`. */
async function fakeWeb(answer: () => EdgeDecision, key: string): Promise<{ url: string; asks: () => number; server: http.Server }> {
  let asks = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.headers["x-berth-edge-key"] !== key) return void res.writeHead(403).end();
    asks++;
    setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer())), 20);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asks: () => asks, server };
}

function home(): { dir: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-auth-"));
  fs.writeFileSync(agentKeyPath(dir), "k".repeat(64));
  return { dir, key: "k".repeat(64) };
}

const q = { host: "web-80--acme.localhost", token: "berth_x", linkFromQuery: false };
const allow: EdgeDecision = { allow: true, containerId: "c1", port: 80, ttlMs: 50 };

describe("EdgeAuthorizer", () => {
  it("asks web once for many concurrent requests with the same credentials, then answers from the cache", async () => {
    const h = home();
    const web = await fakeWeb(() => allow, h.key);
    const a = new EdgeAuthorizer(web.url, h.dir, createLogger("test"));
    const answers = await Promise.all(Array.from({ length: 20 }, () => a.decide(q)));
    expect(answers.every((d) => d !== "unavailable" && d.allow)).toBe(true);
    expect(web.asks()).toBe(1);
    await a.decide(q);
    expect(web.asks()).toBe(1);
  });

  it("keeps answering a known request while web is down, and says unavailable for a new one", async () => {
    const h = home();
    const web = await fakeWeb(() => allow, h.key);
    const a = new EdgeAuthorizer(web.url, h.dir, createLogger("test"));
    expect(await a.decide(q)).toMatchObject({ allow: true });
    await new Promise<void>((r) => web.server.close(() => r()));
    web.server.closeAllConnections();
    await new Promise((r) => setTimeout(r, 100)); // past the answer's TTL
    expect(await a.decide(q)).toMatchObject({ allow: true });
    expect(await a.decide({ ...q, token: "berth_other" })).toBe("unavailable");
  });

  it("never answers the once-only query form of a capability link from the cache", async () => {
    const h = home();
    const web = await fakeWeb(() => allow, h.key);
    const a = new EdgeAuthorizer(web.url, h.dir, createLogger("test"));
    const once = { ...q, token: undefined, link: "berthlink_x", linkFromQuery: true };
    await a.decide(once);
    await a.decide(once);
    expect(web.asks()).toBe(2);
  });

  it("gives a fresh answer from the cache synchronously, only for the same host and credentials, never for the query form", async () => {
    const h = home();
    const long: EdgeDecision = { ...allow, ttlMs: 60_000 };
    const web = await fakeWeb(() => long, h.key);
    const a = new EdgeAuthorizer(web.url, h.dir, createLogger("test"));
    expect(a.cached(q)).toBeUndefined();
    await a.decide(q);
    expect(a.cached(q)).toEqual(long);
    for (const other of [{ ...q, token: "berth_y" }, { ...q, session: "s1" }, { ...q, host: "web-81--acme.localhost" }, { ...q, link: "berthlink_x" }, { ...q, linkFromQuery: true }]) expect(a.cached(other), JSON.stringify(other)).toBeUndefined();
    expect(web.asks()).toBe(1);
  });
});
