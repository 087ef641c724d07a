import type { EdgeRouteKey } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";

export interface LinkTarget {
  containerId: string;
  containerName: string;
  teamId: string;
  teamName: string;
  port: number;
}

/** The container a link's host name points at (host names are lower case; names may not be). */
export async function findLinkTarget(db: PrismaClient, key: EdgeRouteKey): Promise<LinkTarget | null> {
  if (key.kind !== "container") return null; // stacks: next
  const team = await db.team.findUnique({ where: { name: key.team } });
  if (!team) return null;
  const exact = await db.container.findUnique({ where: { teamId_name: { teamId: team.id, name: key.container } } });
  const c = exact ?? (await db.container.findMany({ where: { teamId: team.id }, select: { id: true, name: true, teamId: true } })).find((x) => x.name.toLowerCase() === key.container);
  if (!c) return null;
  return { containerId: c.id, containerName: c.name, teamId: team.id, teamName: team.name, port: key.port };
}
