import { config, edgeRouteKeyString, stackLinkId, type EdgeRouteKey, type EdgeVisibility } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { readRoutesFile } from "../../edge/named-routes.js";
import { PREVIEW_LABEL } from "../previews/labels.js";
import { LABEL } from "@berth/core/compose";

export interface LinkTarget {
  containerId: string;
  containerName: string;
  teamId: string;
  teamName: string;
  port: number;
  /** What visibility and capability links key on: the container's id, or a stack service's link id (stable across recreations). */
  linkId: string;
  /** Visibility when none was set: private, except a preview's (the team's). */
  defaultVisibility: EdgeVisibility;
}

/** The first of a host's route keys that names something (the edge tries them in the same order). */
export async function findLinkTargetOf(db: PrismaClient, keys: EdgeRouteKey[]): Promise<LinkTarget | null> {
  for (const key of keys) {
    const t = await findLinkTarget(db, key);
    if (t) return t;
  }
  return null;
}

/** The container a link's host name points at (host names are lower case; names may not be). */
export async function findLinkTarget(db: PrismaClient, key: EdgeRouteKey): Promise<LinkTarget | null> {
  const team = await db.team.findUnique({ where: { name: key.team } });
  if (!team) return null;
  if (key.kind === "container") {
    const exact = await db.container.findUnique({ where: { teamId_name: { teamId: team.id, name: key.container } } });
    const c = exact ?? (await db.container.findMany({ where: { teamId: team.id }, select: { id: true, name: true, teamId: true } })).find((x) => x.name.toLowerCase() === key.container);
    if (!c) return null;
    return { containerId: c.id, containerName: c.name, teamId: team.id, teamName: team.name, port: key.port, linkId: c.id, defaultVisibility: "private" };
  }
  if (key.kind === "preview" || key.kind === "environment") {
    const route = (await readRoutesFile(config().home)).routes[edgeRouteKeyString(key)];
    if (!route || route.teamId !== team.id) return null;
    const c = await db.container.findUnique({ where: { id: route.upstream.containerId }, select: { name: true } });
    if (!c) return null;
    return { containerId: route.upstream.containerId, containerName: c.name, teamId: team.id, teamName: team.name, port: route.upstream.port, linkId: route.linkId, defaultVisibility: route.defaultVisibility };
  }
  const stack = (await db.stack.findMany({ where: { teamId: team.id }, select: { id: true, name: true } })).find((x) => x.name.toLowerCase() === key.stack);
  if (!stack) return null;
  // Its service's containers, by their Compose labels (the first replica, the newest when two share a number).
  const rows = await db.container.findMany({ where: { teamId: team.id, options: { contains: LABEL.project } }, select: { id: true, name: true, options: true }, orderBy: { createdAt: "desc" } });
  let best: { id: string; name: string; n: number; preview: boolean } | undefined;
  for (const r of rows) {
    let labels: Record<string, string>;
    try {
      labels = (JSON.parse(r.options) as { labels?: Record<string, string> }).labels ?? {};
    } catch {
      continue;
    }
    if (labels[LABEL.project] !== stack.name || labels[LABEL.service]?.toLowerCase() !== key.service) continue;
    const n = Number(labels[LABEL.number] ?? "1") || 1;
    if (!best || n < best.n) best = { id: r.id, name: r.name, n, preview: !!labels[PREVIEW_LABEL.project] };
  }
  if (!best) return null;
  return {
    containerId: best.id,
    containerName: best.name,
    teamId: team.id,
    teamName: team.name,
    port: key.port,
    linkId: stackLinkId(stack.id, key.service),
    defaultVisibility: best.preview ? "team" : "private",
  };
}
