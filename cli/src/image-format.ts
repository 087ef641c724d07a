/** Output of the image commands, as the docker CLI prints it. Pure functions (time passed in). */
import type { DiskUsage, HistoryRow, PruneResult, RemoveResult } from "./image-client.js";
import { ago, ellipsis, humanSize, shortId, table } from "./format.js";

export function historyTable(rows: HistoryRow[], now: number, o: { noTrunc: boolean; quiet: boolean }): string {
  const id = (x: string) => (x === "<missing>" || o.noTrunc ? x : shortId(x));
  if (o.quiet) return rows.map((r) => id(r.id) + "\n").join("");
  return table(
    ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"],
    rows.map((r) => [
      id(r.id),
      r.created ? ago(r.created, now) : "N/A",
      o.noTrunc ? r.createdBy : ellipsis(r.createdBy.replace(/\s+/g, " "), 45),
      humanSize(r.size),
      r.comment,
    ]),
  );
}

export const removeLines = (r: RemoveResult) => [...r.untagged.map((t) => `Untagged: ${t}\n`), ...r.deleted.map((d) => `Deleted: ${d}\n`)].join("");

export function pruneReport(r: PruneResult): string {
  let out = "";
  if (r.deleted.length) {
    out += "Deleted Images:\n";
    for (const d of r.deleted) out += d.untagged ? `untagged: ${d.untagged}\n` : `deleted: ${d.deleted}\n`;
    out += "\n";
  }
  return out + `Total reclaimed space: ${humanSize(r.spaceReclaimed)}\n`;
}

const reclaim = (n: number, of: number) => `${humanSize(n)}${of > 0 ? ` (${Math.floor((n * 100) / of)}%)` : ""}`;

export function dfTable(d: DiskUsage): string {
  return table(
    ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"],
    [
      ["Images", String(d.images.total), String(d.images.active), humanSize(d.images.size), reclaim(d.images.reclaimable, d.images.size)],
      ["Containers", String(d.containers.total), String(d.containers.active), humanSize(d.containers.size), reclaim(d.containers.reclaimable, d.containers.size)],
      ["Local Volumes", "0", "0", "0B", "0B"],
      ["Build Cache", "0", "0", "0B", "0B"],
    ],
  );
}
