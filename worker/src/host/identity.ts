import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import type { PrismaClient } from "@berth/core/db";

/** This host's stable id: BERTH_HOST_ID, else the one kept in BERTH_HOME/host-id (made once). */
export async function hostIdentity(file: string, fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  try {
    const id = (await fs.readFile(file, "utf8")).trim();
    if (/^[a-z0-9-]{1,40}$/.test(id)) return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const id = randomBytes(6).toString("hex");
  await fs.writeFile(`${file}.tmp`, `${id}\n`, { mode: 0o644 });
  await fs.rename(`${file}.tmp`, file);
  return id;
}

/** Registers the host and keeps its heartbeat fresh; web places containers on hosts seen lately. */
export async function registerHost(db: PrismaClient, id: string, intervalMs = 5000): Promise<() => Promise<void>> {
  const name = os.hostname();
  await db.host.upsert({ where: { id }, create: { id, name, lastSeenAt: new Date() }, update: { name, lastSeenAt: new Date() } });
  const timer = setInterval(() => {
    db.host.update({ where: { id }, data: { lastSeenAt: new Date() } }).catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    // Tell web at once that this host is gone, instead of waiting for the heartbeat to age.
    await db.host.update({ where: { id }, data: { lastSeenAt: new Date(0) } }).catch(() => undefined);
  };
}
