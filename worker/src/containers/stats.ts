import fs from "node:fs/promises";
import os from "node:os";
import type { ContainerStatsSample } from "@berth/core";
import { cgroupStats } from "@berth/native";

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

/** One sample of a container's usage; zeros for a container that is not running (as Docker shows). */
export async function sampleStats(id: string, cgroup: string, pid: number | undefined): Promise<ContainerStatsSample> {
  const empty: ContainerStatsSample = { id, running: false, time: Date.now(), cpuNs: 0, memory: 0, memoryLimit: 0, pids: 0, netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0 };
  if (pid === undefined) return empty;
  const [cg, net] = await Promise.all([cgroupStats(cgroup).catch(() => undefined), netIo(pid)]);
  if (!cg) return empty;
  return {
    id,
    running: true,
    time: Date.now(),
    cpuNs: cg.cpuNs ?? 0,
    memory: cg.memory ?? 0,
    memoryLimit: cg.memoryLimit ?? os.totalmem(),
    pids: cg.pids ?? 0,
    netRx: net.rx,
    netTx: net.tx,
    blockRead: cg.ioReadBytes ?? 0,
    blockWrite: cg.ioWriteBytes ?? 0,
  };
}
