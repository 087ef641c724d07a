import fs from "node:fs/promises";
import path from "node:path";
import { REMOVED_LOGS_KEY, RemovedLogs, removedLogsTeamKey, type Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";

/** `$BERTH_HOME/removed-logs` beside `$BERTH_HOME/containers` (start-up removes unknown dirs in the latter). */
export const removedLogsDir = (containersDir: string) => path.join(path.dirname(containersDir), "removed-logs");

export interface KeepDeps {
  db: PrismaClient;
  redis: Redis;
  containersDir: string;
  hostId: string;
}

/**
 * `rm`: moves the container's log files (log.jsonl and its rotated files) out of its directory
 * before that goes, and indexes them for its team, so its logs stay readable until the retention
 * runs out. The container has exited by now (its sink wrote its last line). Retention 0: nothing kept.
 */
export async function keepRemovedLogs(d: KeepDeps, id: string, retentionHours: number): Promise<void> {
  if (retentionHours <= 0) return;
  const row = await d.db.container.findUnique({ where: { id }, select: { name: true, imageRef: true, teamId: true, createdAt: true, exitCode: true } });
  if (!row) return;
  const from = path.join(d.containersDir, id);
  const names = (await fs.readdir(from).catch(() => [] as string[])).filter((n) => n === "log.jsonl" || /^log\.jsonl\.\d+$/.test(n));
  if (!names.length) return; // --log-driver none, or never started
  const to = path.join(removedLogsDir(d.containersDir), id);
  await fs.mkdir(to, { recursive: true });
  // Same filesystem (both under BERTH_HOME): renames, no copies.
  for (const n of names) await fs.rename(path.join(from, n), path.join(to, n));
  const rec: RemovedLogs = { id, name: row.name, image: row.imageRef, teamId: row.teamId, hostId: d.hostId, createdAt: row.createdAt.toISOString(), removedAt: Date.now(), exitCode: row.exitCode };
  await fs.writeFile(path.join(to, "meta.json"), JSON.stringify(rec));
  await d.redis.multi().hset(REMOVED_LOGS_KEY, id, JSON.stringify(rec)).zadd(removedLogsTeamKey(rec.teamId), rec.removedAt, id).exec();
}

function parseRecord(json: string): RemovedLogs | undefined {
  try {
    return RemovedLogs.safeParse(JSON.parse(json)).data;
  } catch {
    return undefined; // torn by a crash mid-write: swept by the directory's age
  }
}

/**
 * Deletes this host's kept logs older than the retention (files and index), and index entries of
 * this host whose files are gone. Returns how many it deleted.
 */
export async function sweepRemovedLogs(d: Omit<KeepDeps, "db">, retentionHours: number, now = Date.now()): Promise<number> {
  const dir = removedLogsDir(d.containersDir);
  const cutoff = now - retentionHours * 3600_000;
  let deleted = 0;
  const drop = async (rec: Pick<RemovedLogs, "id" | "teamId">) => {
    await fs.rm(path.join(dir, rec.id), { recursive: true, force: true });
    await d.redis.multi().hdel(REMOVED_LOGS_KEY, rec.id).zrem(removedLogsTeamKey(rec.teamId), rec.id).exec();
    deleted++;
  };
  for (const id of await fs.readdir(dir).catch(() => [] as string[])) {
    const meta = await fs.readFile(path.join(dir, id, "meta.json"), "utf8").catch(() => undefined);
    const rec = meta === undefined ? undefined : parseRecord(meta);
    if (!rec) {
      // A move cut short by a crash (no meta yet): by the directory's age.
      const st = await fs.stat(path.join(dir, id)).catch(() => undefined);
      if (st && st.mtimeMs < cutoff) await fs.rm(path.join(dir, id), { recursive: true, force: true });
      continue;
    }
    if (rec.removedAt < cutoff) await drop(rec);
  }
  // Index entries of this host that no longer have files (BERTH_HOME wiped, or a partial sweep).
  const all = await d.redis.hgetall(REMOVED_LOGS_KEY);
  for (const [id, json] of Object.entries(all)) {
    const rec = parseRecord(json);
    if (!rec || rec.hostId !== d.hostId) continue;
    const exists = await fs.stat(path.join(dir, id)).then(
      () => true,
      () => false,
    );
    if (!exists || rec.removedAt < cutoff) await drop(rec);
  }
  return deleted;
}

/** Sweeps at start and then regularly (a quarter of the retention, between 1 s and 10 min). */
export function startRemovedLogsSweep(d: Omit<KeepDeps, "db">, retentionHours: number, log: Logger): () => void {
  const every = Math.min(600_000, Math.max(1_000, (retentionHours * 3600_000) / 4));
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    sweepRemovedLogs(d, retentionHours)
      .then((n) => n && log.info({ deleted: n }, "removed containers' logs past retention deleted"))
      .catch((err: unknown) => log.warn({ err }, "sweeping removed containers' logs failed"))
      .finally(() => (running = false));
  };
  tick();
  const timer = setInterval(tick, every);
  timer.unref();
  return () => clearInterval(timer);
}
