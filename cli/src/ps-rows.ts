/** `ps --format` fields, as docker's container formatter names and renders them. */
import type { ContainerSummary } from "./api.js";
import { ago, commandOf, containerStatus, ellipsis, goQuote, shortId, type PsExtras } from "./format.js";
import type { TemplateRow } from "./go-template.js";
import { stateOf } from "./ps-filter.js";

export const PS_HEADERS: Record<string, string> = {
  ID: "CONTAINER ID",
  Names: "NAMES",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Status: "STATUS",
  Ports: "PORTS",
  Labels: "LABELS",
  State: "STATE",
  Size: "SIZE",
  Mounts: "MOUNTS",
  Networks: "NETWORKS",
};

/** What `ps` prints without --format (with --no-trunc: full ids and commands). */
export const DEFAULT_PS_FORMAT = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

/** Go's time.Time String() in UTC: "2026-11-28 01:25:45 +0000 UTC". */
function goTime(iso: string): string {
  return new Date(iso).toISOString().replace("T", " ").replace(/\.\d+Z$/, " +0000 UTC");
}

export function containerRows(containers: ContainerSummary[], now: number, noTrunc: boolean, extras: PsExtras = {}): TemplateRow[] {
  return [...containers]
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
    .map((c) => {
      const cmd = commandOf(c);
      const labels = Object.entries(c.labels).sort(([a], [b]) => a.localeCompare(b));
      return {
        Command: goQuote(noTrunc ? cmd : ellipsis(cmd, 20)),
        CreatedAt: goTime(c.createdAt),
        ID: noTrunc ? c.id : shortId(c.id),
        Image: c.image,
        Labels: labels.map(([k, v]) => `${k}=${v}`).join(","),
        LocalVolumes: "0",
        Mounts: "",
        Names: c.name,
        Networks: "",
        Ports: extras.ports?.get(c.id) ?? "",
        RunningFor: ago(c.createdAt, now),
        Size: extras.sizes?.get(c.id) ?? "",
        State: stateOf(c),
        Status: containerStatus(c, now),
        Label: (k: string) => c.labels[k] ?? "",
      };
    });
}
