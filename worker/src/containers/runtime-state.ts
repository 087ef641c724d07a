import type { PrismaClient } from "@berth/core/db";

/** A container's lifecycle state beside its row (ContainerRuntime): restart count, paused, stopped by a user. */
export interface RuntimeState {
  restartCount: number;
  paused: boolean;
  manuallyStopped: boolean;
}

const DEFAULTS: RuntimeState = { restartCount: 0, paused: false, manuallyStopped: false };

export async function readRuntime(db: PrismaClient, containerId: string): Promise<RuntimeState> {
  const r = await db.containerRuntime.findUnique({ where: { containerId } });
  return r ? { restartCount: r.restartCount, paused: r.paused, manuallyStopped: r.manuallyStopped } : { ...DEFAULTS };
}

/**
 * Sets fields (or increments the restart count); made on first write. A container removed
 * meanwhile has nothing to record: its row, and so this one, is gone.
 */
export async function writeRuntime(db: PrismaClient, containerId: string, data: Partial<RuntimeState> & { incrementRestarts?: true }): Promise<void> {
  const { incrementRestarts, ...fields } = data;
  // Back to the defaults: a container without a row already has them, so no row is made.
  if (!incrementRestarts && Object.entries(fields).every(([k, v]) => DEFAULTS[k as keyof RuntimeState] === v)) {
    await db.containerRuntime.updateMany({ where: { containerId }, data: fields });
    return;
  }
  const update = { ...fields, ...(incrementRestarts ? { restartCount: { increment: 1 } } : {}) };
  const create = { containerId, ...fields, ...(incrementRestarts ? { restartCount: 1 } : {}) };
  if (!(await db.container.findUnique({ where: { id: containerId }, select: { id: true } }))) return;
  await db.containerRuntime.upsert({ where: { containerId }, create, update }).catch(async (err: unknown) => {
    // Removed between the check and the write: nothing to keep.
    if (await db.container.findUnique({ where: { id: containerId }, select: { id: true } })) throw err;
  });
}
