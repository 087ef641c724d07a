import { running } from "../host/process.js";
import type { AttachmentRecord } from "./attachment-records.js";
import type { NetworkRecord } from "./store.js";

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
