/**
 * An idle preview freezes like any stack (issue 16): a branch preview deployed as the push
 * pipeline deploys it, from files that say nothing about freezing, follows its team's idle time
 * (`berth team set TEAM --freeze-after`): requests to its URL (its named route on the edge) keep it
 * awake; once nobody opened it for that long it is frozen with the cgroup freezer; the next request
 * to the preview's URL is held while the stack thaws and is answered by the same process. An
 * environment's named route (`env--<env>--<project>--<team>`) thaws the stack behind it the same way. */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { PrismaClient } from "@berth/core/db";
import { ROOT, useInstance } from "./harness.js";
import { edgeGet } from "./edge-client.js";
import { webInProcess, webModule, type WebInProcess, type WebServices } from "./web-in-process.js";
import { until } from "./poll.js";

const b = useInstance();
const FIXTURE = path.join(ROOT, "test/fixtures/previews/app");
const SHA = "5555555eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

type Previews = typeof import("../web/src/server/previews/index.js");
type NamedRoutes = typeof import("../web/src/edge/named-routes.js");
let previews: Previews;
let namedRoutes: NamedRoutes;
let web: WebInProcess | undefined;
let services: WebServices;
let db: PrismaClient;
let team: { id: string; name: string };
let work: string;

const agent = new http.Agent({ keepAlive: false });

/** GET through the edge on loopback with the route's host name, as a script would (an API token). */
function get(host: string, urlPath: string): Promise<{ status: number; body: string }> {
  return edgeGet(b.edgePort, host, { path: urlPath, agent, token: b.token, timeoutMs: 60_000 });
}

/** The kernel's word on the container's cgroup: frozen or not (v1 freezer.state, else v2 cgroup.freeze). */
function cgroupFrozen(containerId: string): boolean {
  const hostDirs = (root: string) => (fs.existsSync(root) ? fs.readdirSync(root).filter((d) => d.startsWith("berth-")) : []);
  for (const d of hostDirs("/sys/fs/cgroup/freezer")) {
    const f = path.join("/sys/fs/cgroup/freezer", d, containerId, "freezer.state");
    if (fs.existsSync(f)) return fs.readFileSync(f, "utf8").trim() === "FROZEN";
  }
  for (const root of ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]) {
    for (const d of hostDirs(root)) {
      const f = path.join(root, d, containerId, "cgroup.freeze");
      if (fs.existsSync(f)) return fs.readFileSync(f, "utf8").trim() === "1";
    }
  }
  throw new Error(`no cgroup found for container ${containerId}`);
}

const stackFrozen = async (name: string) => (await db.stack.findUniqueOrThrow({ where: { teamId_name: { teamId: team.id, name } }, select: { frozenAt: true } })).frozenAt !== null;

beforeAll(async () => {
  // The deploy runs in this process against the instance, as web's push pipeline runs it.
  web = await webInProcess(b, "previews-freeze-test");
  ({ services, db } = web);
  const r = await b.berth(["team", "create", "acme"]);
  expect(r.code, r.stderr).toBe(0);
  previews = await webModule<Previews>("server/previews/index.js");
  namedRoutes = await webModule<NamedRoutes>("edge/named-routes.js");
  team = await db.team.findUniqueOrThrow({ where: { name: "acme" }, select: { id: true, name: true } });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-previews-freeze-"));
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await web?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

it("an idle preview freezes; its URL thaws it with the request held, and the same process answers", async () => {
  // The team's stacks idle for 3 s; the fixture app's web process writes a value made once, when it starts.
  const set = await b.berth(["team", "set", "acme", "--freeze-after", "3s"]);
  expect(set.code, set.stderr).toBe(0);
  const dir = path.join(work, "checkout");
  fs.cpSync(FIXTURE, dir, { recursive: true });
  expect(fs.readFileSync(path.join(dir, "compose.yaml"), "utf8")).not.toContain("x-berth");
  fs.appendFileSync(path.join(dir, "web/Dockerfile"), `CMD ["sh", "-c", "echo \\"started $(cat /proc/sys/kernel/random/uuid)\\" > /www/state.txt && exec httpd -f -p 8080 -h /www"]\n`);
  const out = await previews.deployPreview({ services }, { teamId: team.id, teamName: team.name, project: "shop", branch: "idle", sha: SHA, sourceDir: dir, trusted: true, onLine: () => {} });
  const host = new URL(out.url).host;
  const first = await get(host, "/state.txt");
  expect(first.status).toBe(200);
  expect(first.body).toMatch(/^started [0-9a-f-]{36}\n$/);
  const web = await db.container.findFirstOrThrow({ where: { teamId: team.id, name: { startsWith: `${out.stackName}-web-` }, state: "running" } });

  // Requests to the preview's URL are its activity: opened every 300 ms for 6 s (twice its idle time), it stays awake.
  for (let i = 0; i < 20; i++) {
    expect(await get(host, "/state.txt")).toEqual(first);
    expect(await stackFrozen(out.stackName)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
  }

  await until("the idle preview to freeze", () => stackFrozen(out.stackName));
  expect(cgroupFrozen(web.id)).toBe(true);

  // Held, not refused: the same process answers, and the stack is thawed.
  expect(await get(host, "/state.txt")).toEqual(first);
  expect(cgroupFrozen(web.id)).toBe(false);
  expect(await stackFrozen(out.stackName)).toBe(false);

  // An environment's named route to the same stack's web service thaws it the same way.
  await until("the preview to freeze again", () => stackFrozen(out.stackName));
  expect(cgroupFrozen(web.id)).toBe(true);
  const stack = await db.stack.findUniqueOrThrow({ where: { teamId_name: { teamId: team.id, name: out.stackName } }, select: { id: true } });
  const { environmentRouteName, stackLinkId } = await import("@berth/core");
  const route = { upstream: { containerId: web.id, port: 8080 }, teamId: team.id, linkId: stackLinkId(stack.id, "web"), defaultVisibility: "team" as const, labels: {}, since: new Date().toISOString() };
  const switched = await namedRoutes.switchNamedRoute(b.home, environmentRouteName("acme", "shop", "staging"), route);
  expect(switched.served).toBe(true);
  expect(await get(`env--staging--shop--acme.localhost:${b.edgePort}`, "/state.txt")).toEqual(first);
  expect(cgroupFrozen(web.id)).toBe(false);

  await namedRoutes.switchNamedRoute(b.home, environmentRouteName("acme", "shop", "staging"), null);
  await previews.removePreview({ services }, { teamId: team.id, teamName: team.name, project: "shop", branch: "idle", onLine: () => {} });
}, 300_000);
