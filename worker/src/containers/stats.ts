import fs from "node:fs/promises";
import os from "node:os";
import type { ContainerStatsSample } from "@berth/core";
import { cgroupInfo, cgroupStats } from "@berth/native";

/** Bytes received and sent by the interfaces of `pid`'s network namespace, loopback excepted. */
export async function netIo(pid: number): Promise<{ rx: number; tx: number }> {
  const text = await fs.readFile(`/proc/${pid}/net/dev`, "utf8").catch(() => "");
  let rx = 0;
  let tx = 0;
  for (const line of text.split("\n").slice(2)) {
    const [name, rest] = line.split(":");
    if (!rest || name!.trim() === "lo") continue;
    const f = rest.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

/**
 * Page cache the kernel can drop at once (v2 inactive_file, v1 total_inactive_file): docker's
 * MEM USAGE leaves it out, so a container that read big files does not look full.
 */
export async function inactiveFileBytes(cgroup: string): Promise<number> {
  const info = cgroupInfo();
  const [root, key] = info.version === 2 ? [info.mounts.unified, "inactive_file"] : [info.mounts.memory, "total_inactive_file"];
  if (!root) return 0;
  const text = await fs.readFile(`${root}/${cgroup}/memory.stat`, "utf8").catch(() => "");
  const m = new RegExp(`^${key} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

/** One sample of a container's usage; zeros for a container that is not running (as Docker shows). */
export async function sampleStats(id: string, cgroup: string, pid: number | undefined): Promise<ContainerStatsSample> {
  const empty: ContainerStatsSample = { id, running: false, time: Date.now(), cpuNs: 0, memory: 0, memoryLimit: 0, pids: 0, netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0 };
  if (pid === undefined) return empty;
  const [cg, net, cache] = await Promise.all([cgroupStats(cgroup).catch(() => undefined), netIo(pid), inactiveFileBytes(cgroup)]);
  if (!cg) return empty;
  const used = cg.memory ?? 0;
  return {
    id,
    running: true,
    time: Date.now(),
    cpuNs: cg.cpuNs ?? 0,
    memory: cache < used ? used - cache : used,
    memoryLimit: cg.memoryLimit ?? os.totalmem(),
    pids: cg.pids ?? 0,
    netRx: net.rx,
    netTx: net.tx,
    blockRead: cg.ioReadBytes ?? 0,
    blockWrite: cg.ioWriteBytes ?? 0,
  };
}
