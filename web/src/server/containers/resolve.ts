import { InvalidArgument, NotFound } from "@berth/core";
import type { Db, PrismaClient } from "@berth/core/db";

const FULL_ID = /^[0-9a-f]{64}$/;
const HEX = /^[0-9a-f]+$/;

export const isFullContainerId = (s: string) => FULL_ID.test(s);

/**
 * Like Docker: a full id, then a name, then a unique id prefix; only among the containers of
 * team `teamId` (another team's container is not found, as one that does not exist).
 */
export async function findContainer(db: PrismaClient, teamId: string, ref: string): Promise<Db.Container | null> {
  const q = ref.trim();
  if (!q) return null;
  if (FULL_ID.test(q)) {
    const byId = await db.container.findFirst({ where: { id: q, teamId } });
    if (byId) return byId;
  }
  const byName = await db.container.findUnique({ where: { teamId_name: { teamId, name: q.replace(/^\//, "") } } });
  if (byName) return byName;
  if (!HEX.test(q)) return null;
  const matches = await db.container.findMany({ where: { id: { startsWith: q }, teamId }, take: 2 });
  if (matches.length > 1) throw new InvalidArgument(`multiple containers found with id prefix "${q}": use more characters`);
  return matches[0] ?? null;
}

export async function resolveContainer(db: PrismaClient, teamId: string, ref: string): Promise<Db.Container> {
  const c = await findContainer(db, teamId, ref);
  if (!c) throw new NotFound(`No such container: ${ref}`);
  return c;
}
