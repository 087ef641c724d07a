import { FailedPrecondition } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";

/** The container's row once its start was recorded; a container that failed to start is the service's error. */
export async function startedOrThrow(d: { db: PrismaClient }, id: string, service: string) {
  const r = await d.db.container.findUnique({ where: { id } });
  if (!r) throw new FailedPrecondition(`service "${service}": its container was removed while starting`);
  if (r.state === "exited" && r.error) throw new FailedPrecondition(`service "${service}": container ${r.name} failed to start: ${r.error}`);
  return r;
}
