import { config, edgeUrl, InvalidArgument, parseDuration, stackLinkId, type EdgeVisibility } from "@berth/core";
import type { Services } from "../services.js";
import { createCapability, getVisibility, listVisibilities, setVisibility } from "../edge/links.js";
import { PREVIEW_LABEL } from "../previews/labels.js";
import { stackProject } from "./service.js";

const MAX_TTL_MS = 30 * 24 * 3600_000;

export interface StackLinkRow {
  service: string;
  port: number;
  visibility: EdgeVisibility;
  url: string;
}

/** A stack's links keep their visibility across recreations: they key on the stack and service, not a container. */
async function linkContext(s: Services, team: { id: string; name: string }, stack: string) {
  const row = await s.db.stack.findUnique({ where: { teamId_name: { teamId: team.id, name: stack } }, select: { id: true } });
  const project = await stackProject(s, team.id, stack);
  const fallback: EdgeVisibility = Object.values(project.services).some((svc) => svc.labels[PREVIEW_LABEL.project]) ? "team" : "private";
  const url = (service: string, port: number) => {
    const cfg = config();
    return edgeUrl({ kind: "stack", team: team.name, stack, service, port }, cfg.domain, cfg.edgePort);
  };
  return { id: row!.id, project, fallback, url };
}

/** `stack ports`: every published or exposed TCP port of each service, and any port given a visibility. */
export async function stackLinks(s: Services, team: { id: string; name: string }, stack: string): Promise<StackLinkRow[]> {
  const c = await linkContext(s, team, stack);
  const rows: StackLinkRow[] = [];
  for (const [name, svc] of Object.entries(c.project.services).sort(([a], [b]) => a.localeCompare(b))) {
    const vis = await listVisibilities(s.redis, stackLinkId(c.id, name));
    const ports = new Set([...svc.ports.filter((p) => p.protocol === "tcp").map((p) => p.target), ...svc.expose.map((e) => Number(/^(\d+)/.exec(e)?.[1])).filter((n) => n > 0), ...vis.keys()]);
    for (const port of [...ports].sort((a, b) => a - b)) rows.push({ service: name, port, visibility: vis.get(port) ?? c.fallback, url: c.url(name, port) });
  }
  return rows;
}

function serviceOf(c: Awaited<ReturnType<typeof linkContext>>, stack: string, service: string): void {
  if (!c.project.services[service]) throw new InvalidArgument(`stack ${stack} has no service ${service} (it has ${Object.keys(c.project.services).join(", ")})`);
}

/** `stack ports --set SERVICE:PORT=VISIBILITY`. */
export async function setStackLink(s: Services, team: { id: string; name: string }, stack: string, service: string, port: number, visibility: EdgeVisibility): Promise<StackLinkRow> {
  const c = await linkContext(s, team, stack);
  serviceOf(c, stack, service);
  await setVisibility(s.redis, stackLinkId(c.id, service), port, visibility, c.fallback);
  return { service, port, visibility: await getVisibility(s.redis, stackLinkId(c.id, service), port, c.fallback), url: c.url(service, port) };
}

/** `stack link SERVICE:PORT [--ttl]`: a capability link to one port of a service. */
export async function stackCapability(s: Services, team: { id: string; name: string }, stack: string, service: string, port: number, ttl: string) {
  const ttlMs = parseDuration(ttl, "--ttl");
  if (ttlMs < 1000 || ttlMs > MAX_TTL_MS) throw new InvalidArgument(`--ttl ${ttl}: a link lives between 1s and 720h`);
  const c = await linkContext(s, team, stack);
  serviceOf(c, stack, service);
  const { secret, expiresAt } = await createCapability(s.redis, stackLinkId(c.id, service), port, ttlMs);
  const url = new URL(c.url(service, port));
  url.searchParams.set("berth_link", secret);
  return { service, port, url: url.toString(), secret, expiresAt: expiresAt.toISOString() };
}
