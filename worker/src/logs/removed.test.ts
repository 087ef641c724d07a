import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { REMOVED_LOGS_KEY, removedLogsTeamKey, type RemovedLogs } from "@berth/core";
import { removedLogsDir, sweepRemovedLogs } from "./removed.js";
import { useRedisServer } from "../testing/redis-server.js";

const srv = useRedisServer("removed-logs");

async function kept(containersDir: string, id: string, removedAt: number, hostId = "h1"): Promise<RemovedLogs> {
  const rec: RemovedLogs = { id, name: `c-${id.slice(0, 4)}`, image: "busybox:latest", teamId: "team1", hostId, createdAt: new Date(0).toISOString(), removedAt, exitCode: 0 };
  const dir = path.join(removedLogsDir(containersDir), id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "log.jsonl"), '{"log":"hi\\n","stream":"stdout","time":"2026-12-01T00:00:00.000000000Z"}\n');
  fs.writeFileSync(path.join(dir, "meta.json"), JSON.stringify(rec));
  await srv.redis.multi().hset(REMOVED_LOGS_KEY, id, JSON.stringify(rec)).zadd(removedLogsTeamKey(rec.teamId), removedAt, id).exec();
  return rec;
}

it("deletes kept logs past the retention, files and index, and keeps the younger ones", async () => {
  const containersDir = path.join(srv.dir, "home", "containers");
  fs.mkdirSync(containersDir, { recursive: true });
  const now = Date.UTC(2026, 11, 2);
  const old = await kept(containersDir, "1".repeat(64), now - 25 * 3600_000);
  const young = await kept(containersDir, "2".repeat(64), now - 23 * 3600_000);
  // Another host's record is that host's to sweep.
  const other = await kept(containersDir, "3".repeat(64), now - 48 * 3600_000, "h2");
  fs.rmSync(path.join(removedLogsDir(containersDir), other.id), { recursive: true });

  expect(await sweepRemovedLogs({ redis: srv.redis, containersDir, hostId: "h1" }, 24, now)).toBe(1);
  expect(fs.existsSync(path.join(removedLogsDir(containersDir), old.id))).toBe(false);
  expect(await srv.redis.hexists(REMOVED_LOGS_KEY, old.id)).toBe(0);
  expect(await srv.redis.zscore(removedLogsTeamKey("team1"), old.id)).toBeNull();
  expect(fs.existsSync(path.join(removedLogsDir(containersDir), young.id, "log.jsonl"))).toBe(true);
  expect(await srv.redis.hexists(REMOVED_LOGS_KEY, young.id)).toBe(1);
  expect(await srv.redis.hexists(REMOVED_LOGS_KEY, other.id)).toBe(1);

  // An index entry of this host whose files are gone is dropped too.
  fs.rmSync(path.join(removedLogsDir(containersDir), young.id), { recursive: true });
  expect(await sweepRemovedLogs({ redis: srv.redis, containersDir, hostId: "h1" }, 24, now)).toBe(1);
  expect(await srv.redis.hexists(REMOVED_LOGS_KEY, young.id)).toBe(0);
});
