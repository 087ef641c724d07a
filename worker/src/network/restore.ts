import fs from "node:fs/promises";
import type { AttachmentRecord } from "./attachment-records.js";
import type { NetworkRecord } from "./store.js";

/** Whether `pid` runs (a zombie has ended: its container is gone). */
export async function running(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}

/**
 * The attachments a worker start keeps: bridge-mode containers whose PID 1 still runs (their
 * shims kept them through the worker's death). Their networks that are gone from the store are
 * dropped from the record; the rest of a record is as the previous worker left it.
 */
export async function liveRecords(records: AttachmentRecord[], networks: NetworkRecord[]): Promise<AttachmentRecord[]> {
  const out: AttachmentRecord[] = [];
  for (const r of records) {
    if (r.mode !== "bridge" || r.pid === undefined || !(await running(r.pid))) continue;
    r.networks = r.networks.filter((id) => networks.some((n) => n.id === id && n.endpoints[r.id]));
    out.push(r);
  }
  return out;
}
