import { InvalidArgument, NotFound } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { normalHostPath, type HostPathGrant } from "../policy/host-power.js";

/**
 * Host paths the site admin lets a team bind-mount (a shared cache directory, say): the path
 * and everything under it, read-only unless granted otherwise. Stored normalised, so
 * `/srv/cache/` and `/srv/cache` are one grant.
 */

export interface HostPathRow extends HostPathGrant {
  team: string;
}

export async function teamHostPaths(db: PrismaClient, teamId: string): Promise<HostPathGrant[]> {
  return db.teamHostPath.findMany({ where: { teamId }, select: { path: true, readOnly: true }, orderBy: { path: "asc" } });
}

/** An absolute host path as the admin typed it, normalised; anything else is refused with the reason. */
export function checkHostPath(p: string): string {
  if (!p.startsWith("/")) throw new InvalidArgument(`host path "${p}" must be absolute (start with /)`);
  if (p.includes("\0")) throw new InvalidArgument("host path must not contain a NUL byte");
  return normalHostPath(p);
}

async function teamId(db: PrismaClient, team: string): Promise<string> {
  const t = await db.team.findUnique({ where: { name: team }, select: { id: true } });
  if (!t) throw new NotFound(`team ${team} not found: see berth team ls --all`);
  return t.id;
}

/** Grants (or re-grants with a new read-only setting) `hostPath` to `team`. */
export async function allowHostPath(db: PrismaClient, team: string, hostPath: string, readOnly: boolean): Promise<HostPathRow> {
  const path = checkHostPath(hostPath);
  const id = await teamId(db, team);
  await db.teamHostPath.upsert({ where: { teamId_path: { teamId: id, path } }, create: { teamId: id, path, readOnly }, update: { readOnly } });
  return { team, path, readOnly };
}

/** Takes a grant back (containers made with it keep their mounts until re-created). */
export async function disallowHostPath(db: PrismaClient, team: string, hostPath: string): Promise<HostPathRow> {
  const path = checkHostPath(hostPath);
  const id = await teamId(db, team);
  const row = await db.teamHostPath.findUnique({ where: { teamId_path: { teamId: id, path } } });
  if (!row) throw new NotFound(`team ${team} has no grant of host path ${path}: see berth team paths ${team}`);
  await db.teamHostPath.delete({ where: { teamId_path: { teamId: id, path } } });
  return { team, path, readOnly: row.readOnly };
}
