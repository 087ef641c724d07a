import type { ContainerStatsSample } from "@berth/core";
/** `stats` rows as docker prints them: CPU % from two samples, go-units sizes. */
import { humanSize, shortId } from "./format.js";
import type { TemplateRow } from "./go-template.js";

/** A worker's sample with the container's name, as the CLI shows it. */
export type StatsSample = ContainerStatsSample & { name: string };

export const STATS_HEADERS: Record<string, string> = {
  Container: "CONTAINER",
  ID: "CONTAINER ID",
  Name: "NAME",
  CPUPerc: "CPU %",
  MemUsage: "MEM USAGE / LIMIT",
  MemPerc: "MEM %",
  NetIO: "NET I/O",
  BlockIO: "BLOCK I/O",
  PIDs: "PIDS",
};
export const DEFAULT_STATS_FORMAT = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/** CPU % between two samples of one container: CPU time over wall time (100% = one CPU busy). */
export function cpuPercent(prev: StatsSample | undefined, cur: StatsSample): number {
  if (!prev || !cur.running || !prev.running) return 0;
  const wallNs = (cur.time - prev.time) * 1e6;
  if (wallNs <= 0) return 0;
  return Math.max(0, ((cur.cpuNs - prev.cpuNs) / wallNs) * 100);
}

/** go-units BytesSize (binary units: "1.5MiB"), as docker prints memory. */
export function binarySize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < units.length - 1) {
    size /= 1024;
    i++;
  }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}

export function statsRow(cur: StatsSample, prev: StatsSample | undefined): TemplateRow {
  const memPerc = cur.memoryLimit > 0 ? (cur.memory / cur.memoryLimit) * 100 : 0;
  return {
    Container: cur.name,
    ID: shortId(cur.id),
    Name: cur.name,
    CPUPerc: `${cpuPercent(prev, cur).toFixed(2)}%`,
    MemUsage: `${binarySize(cur.memory)} / ${binarySize(cur.memoryLimit)}`,
    MemPerc: `${memPerc.toFixed(2)}%`,
    NetIO: `${humanSize(cur.netRx)} / ${humanSize(cur.netTx)}`,
    BlockIO: `${humanSize(cur.blockRead)} / ${humanSize(cur.blockWrite)}`,
    PIDs: String(cur.pids),
  };
}
