import fs from "node:fs/promises";
import os from "node:os";
import { HOST_RESOURCES_TTL_S, hostResourcesKey, type HostResources, type Logger } from "@berth/core";
import type { Redis } from "@berth/core/redis";

interface CpuTimes {
  busy: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}

/** MemAvailable from /proc/meminfo (bytes): what the kernel can hand out without swapping; free memory elsewhere. */
async function memAvailable(): Promise<number> {
  const text = await fs.readFile("/proc/meminfo", "utf8").catch(() => "");
  const kb = /^MemAvailable:\s+(\d+) kB$/m.exec(text)?.[1];
  return kb ? Number(kb) * 1024 : os.freemem();
}

/** One sample of this machine; `prev` (the last CPU times) gives the CPU share since then. */
export async function sampleResources(home: string, prev?: CpuTimes): Promise<{ sample: HostResources; cpu: CpuTimes }> {
  const cpu = cpuTimes();
  const [avail, disk] = await Promise.all([memAvailable(), fs.statfs(home)]);
  const dTotal = prev ? cpu.total - prev.total : 0;
  const sample: HostResources = {
    time: new Date().toISOString(),
    hostname: os.hostname(),
    kernel: os.release(),
    cpus: os.cpus().length,
    cpuUsage: prev && dTotal > 0 ? Math.min(1, Math.max(0, (cpu.busy - prev.busy) / dTotal)) : null,
    load1: os.loadavg()[0] ?? 0,
    memTotal: os.totalmem(),
    memAvailable: avail,
    diskPath: home,
    diskTotal: disk.blocks * disk.bsize,
    // bavail: what an unprivileged writer may still use (root's reserve excluded), as df shows it.
    diskFree: disk.bavail * disk.bsize,
  };
  return { sample, cpu };
}

/**
 * Publishes this host's CPU, memory and disk to Redis every `intervalMs` (with a TTL, so a
 * stopped host's sample ages out). A failed sample is logged and the next one tries again.
 * Returns the function that stops it.
 */
export function publishHostResources(redis: Redis, hostId: string, home: string, log: Logger, intervalMs = 5000): () => void {
  let prev: CpuTimes | undefined;
  let warned = false;
  const tick = async () => {
    try {
      const { sample, cpu } = await sampleResources(home, prev);
      prev = cpu;
      await redis.set(hostResourcesKey(hostId), JSON.stringify(sample), "EX", HOST_RESOURCES_TTL_S);
      warned = false;
    } catch (err) {
      if (!warned) log.warn({ err: (err as Error).message, home }, "could not sample or publish this host's resources");
      warned = true;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
