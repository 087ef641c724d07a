import { expect, it } from "vitest";
import { decodeStatsPoint, statsCoarseKey, statsFineKey, statsFineMax, STATS_COARSE_MAX, type ContainerStatsSample } from "@berth/core";
import { StatsHistory } from "./history.js";
import { useRedisServer } from "../testing/redis-server.js";

// A real Redis; the samples carry made-up times, so hours of sampling take seconds.
const srv = useRedisServer("stats-history");

const sample = (id: string, time: number, i: number): ContainerStatsSample => ({
  id,
  running: true,
  time,
  cpuNs: i * 1e9,
  memory: 1000 + i,
  memoryLimit: 1 << 30,
  pids: 1,
  netRx: i * 10,
  netTx: i * 20,
  blockRead: 0,
  blockWrite: i,
});

it("keeps every sample of the last hour and no more", async () => {
  const id = "a".repeat(64);
  const h = new StatsHistory(srv.redis, 5_000);
  const start = Date.UTC(2026, 11, 1);
  const n = (2 * 3600_000) / 5_000; // two hours of 5 s samples
  for (let i = 0; i < n; i++) await h.record(sample(id, start + i * 5_000, i));
  const fine = (await srv.redis.lrange(statsFineKey(id), 0, -1)).map((s) => decodeStatsPoint(s)!);
  expect(fine).toHaveLength(statsFineMax(5_000));
  expect(fine).toHaveLength(720);
  // Newest first, spanning the last hour at 5 s.
  expect(fine[0]![0]).toBe(start + (n - 1) * 5_000);
  expect(fine[0]![0] - fine[fine.length - 1]![0]).toBe(3600_000 - 5_000);
  // Meanwhile one point a minute went to the coarse list.
  expect(await srv.redis.llen(statsCoarseKey(id))).toBe(120);
  // Both expire on their own once the container stops being sampled.
  expect(await srv.redis.pttl(statsFineKey(id))).toBeGreaterThan(0);
  expect(await srv.redis.pttl(statsCoarseKey(id))).toBeGreaterThan(0);
}, 120_000);

it("keeps one point a minute for 24 hours and no more", async () => {
  const id = "c".repeat(64);
  // Sampled every 20 s (three per minute) for 30 hours: the coarse list takes the first of each minute.
  const h = new StatsHistory(srv.redis, 20_000);
  const start = Date.UTC(2026, 11, 1);
  const n = (30 * 3600_000) / 20_000;
  for (let i = 0; i < n; i++) await h.record(sample(id, start + i * 20_000, i));
  const coarse = (await srv.redis.lrange(statsCoarseKey(id), 0, -1)).map((s) => decodeStatsPoint(s)!);
  expect(coarse).toHaveLength(STATS_COARSE_MAX);
  for (let k = 1; k < coarse.length; k++) expect(coarse[k - 1]![0] - coarse[k]![0]).toBe(60_000);
  expect(coarse[0]![0] - coarse[coarse.length - 1]![0]).toBe(24 * 3600_000 - 60_000);
  expect(await srv.redis.llen(statsFineKey(id))).toBe(statsFineMax(20_000));
}, 120_000);

it("a new sampler (a worker restart) carries on the coarse list without a second point in the same minute", async () => {
  const id = "b".repeat(64);
  const start = Date.UTC(2026, 11, 1);
  await new StatsHistory(srv.redis, 5_000).record(sample(id, start, 0));
  await new StatsHistory(srv.redis, 5_000).record(sample(id, start + 5_000, 1));
  expect(await srv.redis.llen(statsCoarseKey(id))).toBe(1);
  expect(await srv.redis.llen(statsFineKey(id))).toBe(2);
});
