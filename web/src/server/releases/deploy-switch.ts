import { domainsOf } from "../environments/find.js";
import { namedRouteUpstreams, stackLinkId, type NamedRoute, type ReleaseHealth } from "@berth/core";
import type { Services } from "../services.js";
import type { StackContainer } from "../stacks/containers.js";
import { stopContainer } from "../containers/lifecycle.js";
import { readRoutesFile, switchNamedRoute } from "../../edge/named-routes.js";
import type { WebService } from "../deploys/index.js";
import { untilHealthy } from "./health.js";

export interface MoveTraffic {
  home: string;
  teamId: string;
  /** The environment's named route, and what it says besides its upstreams. */
  routeName: string;
  route: Omit<NamedRoute, "upstream" | "upstreams" | "since">;
  web: WebService;
  health: ReleaseHealth;
  /** The replicas to serve, and the web service's containers they replace. */
  keep: StackContainer[];
  replaced: StackContainer[];
  say: (line: string) => void;
  /** Told when the step changes ("health", then "switch"), so a failure names it. */
  at: (step: "health" | "switch") => void;
  /** Runs once the edge serves the new replicas, before the old ones stop (mark the states there). */
  afterSwitch: () => Promise<void>;
  /** false: leave the drained old replicas running (the caller removes them); default: stop them. */
  stopOld?: boolean;
}

/**
 * Waits for every new replica to be healthy, moves the route to all of them in one switch, waits
 * until the old replicas finished their requests, then stops them (stopped, not removed: the
 * watch window may need them again). Returns the ids it stopped. Throws, with traffic unmoved,
 * when a replica is not healthy.
 */
export async function moveTraffic(s: Services, m: MoveTraffic): Promise<{ stopped: string[] }> {
  m.at("health");
  m.say(`waiting for ${m.keep.map((c) => c.row.name).join(", ")} to be healthy (${describe(m.health, m.web)})`);
  const abort = new AbortController();
  await Promise.all(
    m.keep.map((c) =>
      untilHealthy(s, m.home, { id: c.row.id, name: c.row.name, service: m.web.service, port: m.web.port }, m.health, abort.signal).then(
        () => m.say(`${c.row.name} is healthy`),
        (err: unknown) => {
          abort.abort();
          throw err;
        },
      ),
    ),
  );
  m.at("switch");
  const keepIds = new Set(m.keep.map((c) => c.row.id));
  const current = (await readRoutesFile(m.home)).routes[m.routeName];
  const running = m.replaced.filter((c) => c.row.state === "running" || c.row.state === "restarting");
  const old = [...new Set([...(current ? namedRouteUpstreams(current).map((u) => u.containerId) : []), ...running.map((c) => c.row.id)])].filter((id) => !keepIds.has(id));
  const upstreams = m.keep.map((c) => ({ containerId: c.row.id, port: m.web.port }));
  const route: NamedRoute = { ...m.route, upstream: upstreams[0]!, upstreams, since: new Date().toISOString() };
  const out = await switchNamedRoute(m.home, m.routeName, route, { old });
  if (!out.served) m.say("warning: the edge did not confirm the switch (is it running?): it reads the route when it starts");
  else if (!out.drained) m.say("warning: the old replicas still had requests in flight after 30s: they are cut off");
  m.say(`traffic moved to ${m.keep.map((c) => c.row.name).join(", ")}`);
  await m.afterSwitch();
  if (m.stopOld === false) return { stopped: [] };
  // All at once: each may take its whole stop grace period.
  const olds = running.filter((c) => !keepIds.has(c.row.id));
  await Promise.all(
    olds.map(async (c) => {
      await stopContainer(s, m.teamId, c.row.id);
      m.say(`stopped ${c.row.name}`);
    }),
  );
  return { stopped: olds.map((c) => c.row.id) };
}

function describe(h: ReleaseHealth, web: WebService): string {
  if (h.kind === "http") return h.implicit ? `no check configured: must answer HTTP on port ${web.port}` : `GET ${h.path} on port ${web.port} answers ${h.status ?? "2xx or 3xx"}`;
  return h.kind === "command" ? `the command ${JSON.stringify(h.test)} succeeds` : "the image's HEALTHCHECK passes";
}

/**
 * The environment's route, but for its upstreams: the stack service's link (visibility keys on it),
 * the environment's own domains, and labels for people and tools. An environment deployed only by
 * promotion (production) is the team's site: public, served by the edge with no call to web, so
 * a restart of web or the worker does not touch its traffic. One that follows a branch (staging)
 * is test code: the team's, like a preview.
 */
export async function environmentRoute(s: Services, teamId: string, stack: string, web: WebService, labels: { project: string; env: string } & Record<string, string>): Promise<MoveTraffic["route"]> {
  const row = await s.db.stack.findUniqueOrThrow({ where: { teamId_name: { teamId, name: stack } }, select: { id: true } });
  const env = await s.db.environment.findFirst({ where: { name: labels.env, project: { teamId, name: labels.project } }, select: { branch: true, domains: true } });
  const domains = env ? domainsOf(env) : [];
  const open = env !== null && env.branch === null;
  return {
    teamId,
    linkId: stackLinkId(row.id, web.service),
    defaultVisibility: open ? "public" : "team",
    labels: { ...labels, stack, service: web.service },
    ...(domains.length ? { domains } : {}),
    ...(open ? { public: true } : {}),
  };
}
