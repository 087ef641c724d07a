/**
 * Branch previews, deployed the way the git push pipeline deploys them: deployPreview() on a
 * checkout of a two-service compose app (web built from a Dockerfile, serving a page that names
 * its commit; api from busybox with a volume). The preview answers through the edge at
 * `<branch>--<project>--<team>.localhost`; a new commit replaces it with no failed request; a
 * failing build and a wrong berth.yaml say what went wrong while the previous commit keeps
 * serving; removePreview leaves no container, volume, network or route behind.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "@berth/core/db";
import { ROOT, useInstance } from "./harness.js";
import { edgeGet } from "./edge-client.js";
import { webInProcess, webModule, type WebInProcess, type WebServices } from "./web-in-process.js";

const b = useInstance();
const FIXTURE = path.join(ROOT, "test/fixtures/previews/app");
const SHA1 = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SHA2 = "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const SHA3 = "3333333ccccccccccccccccccccccccccccccccc";
const SHA4 = "4444444ddddddddddddddddddddddddddddddddd";

type Previews = typeof import("../web/src/server/previews/index.js");
let previews: Previews;
let web: WebInProcess | undefined;
let services: WebServices;
let db: PrismaClient;
let team: { id: string; name: string };
let work: string;
const lines: string[] = [];

/** A checkout of the fixture at `sha`: the page names the commit (a one-line change between commits). */
function checkout(sha: string, edit?: (dir: string) => void): string {
  const dir = path.join(work, sha.slice(0, 7) + Math.random().toString(36).slice(2, 6));
  fs.cpSync(FIXTURE, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "web/www/index.html"), `commit ${sha}\n`);
  edit?.(dir);
  return dir;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** GET through the edge on loopback with the preview's host name, as a script would (an API token). */
function get(host: string, token: string | null = b.token): Promise<{ status: number; body: string }> {
  return edgeGet(b.edgePort, host, { agent, token });
}

const hostOf = (url: string) => new URL(url).host;

function deploy(sha: string, dir: string, extra: Partial<Parameters<Previews["deployPreview"]>[1]> = {}) {
  return previews.deployPreview(
    { services },
    { teamId: team.id, teamName: team.name, project: "shop", branch: "Feature/Login", sha, sourceDir: dir, trusted: true, onLine: (l) => { lines.push(l); if (process.env.PREVIEW_TRACE) console.log(new Date().toISOString(), l); }, ...extra },
  );
}

beforeAll(async () => {
  // The module runs in this process against the instance, as web's push pipeline runs it.
  web = await webInProcess(b, "previews-test");
  ({ services, db } = web);
  const r = await b.berth(["team", "create", "acme"]);
  expect(r.code, r.stderr).toBe(0);
  previews = await webModule<Previews>("server/previews/index.js");
  team = await db.team.findUniqueOrThrow({ where: { name: "acme" }, select: { id: true, name: true } });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-previews-"));
});

afterAll(async () => {
  agent.destroy();
  await web?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("previews", () => {
  let url = "";

  it("deploys a commit as a preview whose URL serves that commit, to the team only", async () => {
    const out = await deploy(SHA1, checkout(SHA1));
    expect(out.stackName).toBe("feature-login--shop");
    expect(out.url).toBe(`http://feature-login--shop--acme.localhost:${b.edgePort}/`);
    url = out.url;
    const page = await get(hostOf(url));
    expect(page).toEqual({ status: 200, body: `commit ${SHA1}\n` });
    // The build's own output reached the caller, tagged with the commit.
    expect(lines.some((l) => l.includes("web |") && /COPY www/i.test(l)), lines.join("\n")).toBe(true);
    expect(lines.join("\n")).toContain("building web as acme/shop/web:" + SHA1);
    // Visible to the team, not to a signed-out script.
    expect((await get(hostOf(url), null)).status).toBe(401);
    // The other service answers at its port link under the preview's stack.
    const api = await get(`api-9000--feature-login--shop--acme.localhost:${b.edgePort}`);
    expect(api).toEqual({ status: 200, body: "api\n" });
  }, 300_000);

  it("replaces the preview with a new commit without failing a request", async () => {
    const dir = checkout(SHA2);
    let done = false;
    const deploying = deploy(SHA2, dir).finally(() => (done = true));
    const seen = new Map<string, number>();
    const failures: string[] = [];
    let n = 0;
    // Requests in a loop while it deploys (bounded), then a few after the switch.
    for (let after = 0; n < 20_000 && after < 20; n++) {
      if (done) after++;
      try {
        const r = await get(hostOf(url));
        if (r.status !== 200 || (r.body !== `commit ${SHA1}\n` && r.body !== `commit ${SHA2}\n`)) failures.push(`${r.status} ${r.body.slice(0, 80)}`);
        else seen.set(r.body.trim(), (seen.get(r.body.trim()) ?? 0) + 1);
      } catch (err) {
        failures.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await deploying;
    expect(failures, `${failures.length} of ${n} requests failed: ${failures.slice(0, 5).join("; ")}`).toEqual([]);
    expect(seen.get(`commit ${SHA1}`) ?? 0).toBeGreaterThan(0);
    expect(seen.get(`commit ${SHA2}`) ?? 0).toBeGreaterThan(0);
    expect(await get(hostOf(url))).toEqual({ status: 200, body: `commit ${SHA2}\n` });
    // One web container left: the old one went once the edge had switched.
    const webs = await db.container.findMany({ where: { teamId: team.id, name: { startsWith: "feature-login--shop-web-" } } });
    expect(webs.map((c) => c.imageRef)).toEqual([`acme/shop/web:${SHA2}`]);
  }, 300_000);

  it("says which step failed when the build fails, and the previous commit keeps serving", async () => {
    const dir = checkout(SHA3, (d) => fs.appendFileSync(path.join(d, "web/Dockerfile"), "RUN echo about to fail && exit 3\n"));
    const err = (await deploy(SHA3, dir).catch((e: unknown) => e)) as Error & { step?: string; kind?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.step).toBe("build web");
    expect(err.message).toMatch(/failed at "build web"/);
    expect(err.message).toMatch(/exit 3|code: 3|non-zero/i);
    expect(await get(hostOf(url))).toEqual({ status: 200, body: `commit ${SHA2}\n` });
  }, 300_000);

  it("names the web service that did not become healthy, and the previous commit keeps serving", async () => {
    const dir = checkout(SHA4, (d) => fs.appendFileSync(path.join(d, "web/Dockerfile"), 'CMD ["sh", "-c", "echo crashing; exit 7"]\n'));
    const err = (await deploy(SHA4, dir).catch((e: unknown) => e)) as Error & { step?: string; service?: string };
    expect(err.step).toBe("health web");
    expect(err.service).toBe("web");
    expect(err.message).toMatch(/service "web" did not become healthy: container feature-login--shop-web-1-\w+ exited \(7\)/);
    expect(await get(hostOf(url))).toEqual({ status: 200, body: `commit ${SHA2}\n` });
    // The new container that failed is gone; the old one stays.
    const webs = await db.container.findMany({ where: { teamId: team.id, name: { startsWith: "feature-login--shop-web-" } } });
    expect(webs.map((c) => c.imageRef)).toEqual([`acme/shop/web:${SHA2}`]);
  }, 300_000);

  it("refuses a berth.yaml with an unknown key, naming it and the keys allowed", async () => {
    const dir = checkout(SHA3, (d) => fs.writeFileSync(path.join(d, "berth.yaml"), "web:\n  service: web\n  prot: 8080\n"));
    const err = (await deploy(SHA3, dir).catch((e: unknown) => e)) as Error & { step?: string; kind?: string };
    expect(err.kind).toBe("InvalidArgument");
    expect(err.step).toBe("read");
    expect(err.message).toContain('unknown key "web.prot" under web');
    expect(err.message).toContain("service, port, health");
    expect(await get(hostOf(url))).toEqual({ status: 200, body: `commit ${SHA2}\n` });
  }, 60_000);

  it("follows berth.yaml's web service, port, health path and release command", async () => {
    const dir = checkout(SHA3, (d) => {
      fs.writeFileSync(path.join(d, "berth.yaml"), "web:\n  service: web\n  port: 8080\n  health:\n    path: /health.txt\n    status: 200\nttl: 72h\nrelease: echo migrated by $(cat /www/index.html)\n");
      fs.writeFileSync(path.join(d, "web/www/health.txt"), "ok\n");
    });
    const out = await deploy(SHA3, dir);
    expect(out.expiresAt).toBeDefined();
    expect(lines.join("\n")).toContain("at /health.txt");
    // The release command ran in the new image before traffic moved.
    expect(lines).toContain(`  release | migrated by commit ${SHA3}`);
    expect(await get(hostOf(url))).toEqual({ status: 200, body: `commit ${SHA3}\n` });
  }, 300_000);

  it("deploys a .devcontainer set-up as one service; an untrusted source gets none of the project's variables", async () => {
    const dev = (sha: string) => {
      const dir = path.join(work, `dev-${sha.slice(0, 7)}`);
      fs.cpSync(path.join(ROOT, "test/fixtures/previews/devcontainer"), dir, { recursive: true });
      return dir;
    };
    const env = { SECRET: "s3cr3t" };
    const mine = await deploy(SHA1, dev(SHA1), { branch: "dev", env });
    expect(mine.url).toBe(`http://dev--shop--acme.localhost:${b.edgePort}/`);
    const cgi = (u: string) =>
      new Promise<string>((resolve, reject) =>
        http.get({ host: "127.0.0.1", port: b.edgePort, path: "/cgi-bin/env", headers: { host: hostOf(u), authorization: `Bearer ${b.token}` } }, (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (d: string) => (body += d));
          res.once("end", () => resolve(body));
        }).once("error", reject),
      );
    expect(await cgi(mine.url)).toBe("greeting=from-devcontainer secret=s3cr3t\n");
    const before = lines.length;
    const fork = await deploy(SHA2, dev(SHA2), { branch: "fork", env, trusted: false });
    expect(await cgi(fork.url)).toBe("greeting=from-devcontainer secret=\n");
    expect(lines.slice(before).join("\n")).toContain("untrusted source: the project's preview variables and secrets are not given to this preview");
    for (const branch of ["dev", "fork"]) await previews.removePreview({ services }, { teamId: team.id, teamName: team.name, project: "shop", branch, onLine: () => {} });
  }, 300_000);

  it("removes the preview with its containers, volumes, networks and route", async () => {
    const { stackName } = { stackName: "feature-login--shop" };
    await previews.removePreview({ services }, { teamId: team.id, teamName: team.name, project: "shop", branch: "Feature/Login", onLine: (l) => lines.push(l) });
    expect(await db.container.count({ where: { teamId: team.id, name: { startsWith: `${stackName}-` } } })).toBe(0);
    expect(await db.volume.count({ where: { teamId: team.id, name: { startsWith: `${stackName}_` } } })).toBe(0);
    expect(await db.stack.count({ where: { teamId: team.id, name: stackName } })).toBe(0);
    const routes = JSON.parse(fs.readFileSync(path.join(b.home, "edge/routes.json"), "utf8")) as { routes: Record<string, unknown> };
    expect(Object.keys(routes.routes)).toEqual([]);
    const nets = await b.berth(["network", "ls", "--format", "{{.Name}}"], { env: { BERTH_TEAM: "acme" } });
    expect(nets.stdout).not.toContain(stackName);
    expect((await get(hostOf(url))).status).not.toBe(200);
  }, 120_000);
});
