/**
 * Output formatting that matches the docker CLI: tabwriter tables, go-units durations and
 * sizes, quoted and truncated commands. Pure functions (time passed in) so they are tested
 * without a server.
 */
import type { ContainerSummary, ImageSummary } from "./api.js";

/** Like Go's text/tabwriter as docker configures it: minwidth 10, padding 3, last column unpadded. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) =>
    Math.max(10, ...all.map((r) => [...(r[c] ?? "")].length + 3)),
  );
  return all
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell + " ".repeat(widths[c]! - [...cell].length)))
        .join("")
        .trimEnd(),
    )
    .map((l) => l + "\n")
    .join("");
}

/** go-units HumanDuration, as docker prints "… ago" and "Up …". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

const since = (iso: string, now: number) => Math.max(0, now - Date.parse(iso));
export const ago = (iso: string, now: number) => `${humanDuration(since(iso, now))} ago`;

/**
 * go-units HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits, trailing
 * zeros dropped ("1.2MB", "4.26MB", "123B"). Unlike Go's %g, 999999 prints "1MB", not "1e+03kB".
 */
export function humanSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  let digits = Number(size.toPrecision(3));
  if (digits >= 1000 && i < units.length - 1) {
    digits = Number((digits / 1000).toPrecision(3));
    i++;
  }
  return `${digits}${units[i]}`;
}

/** docker's formatter.Ellipsis: at most `max` characters, the last one "…" when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return chars.slice(0, max - 1).join("") + "…";
}

/** Go's strconv.Quote for the characters a command line holds. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + '"';
}

export const shortId = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

/** As docker ps words it. */
const HEALTH_SUFFIX = { starting: " (health: starting)", healthy: " (healthy)", unhealthy: " (unhealthy)" } as const;

export function containerStatus(c: ContainerSummary, now: number): string {
  switch (c.state) {
    case "running":
      return `Up ${humanDuration(c.startedAt ? since(c.startedAt, now) : 0)}${c.paused ? " (Paused)" : c.health ? HEALTH_SUFFIX[c.health] : ""}`;
    case "restarting":
      return `Restarting (${c.exitCode ?? 0}) ${humanDuration(since(c.finishedAt ?? c.createdAt, now))} ago`;
    case "exited":
      // A container that never ran its command (exitCode null) reports 125, as `berth run` exits.
      return `Exited (${c.exitCode ?? 125}) ${humanDuration(since(c.finishedAt ?? c.createdAt, now))} ago`;
    default:
      return "Created";
  }
}

const byNewest = <T extends { createdAt: string }>(a: T, b: T) => Date.parse(b.createdAt) - Date.parse(a.createdAt);

/** Docker's COMMAND: what runs (entrypoint and command, the image's CMD when none was given). */
export const commandOf = (c: ContainerSummary) => (c.command?.length ? c.command : c.cmd).join(" ");

/** What `ps` adds from other requests: PORTS (running containers that publish) and, with -s, SIZE. */
export interface PsExtras {
  ports?: Map<string, string>;
  sizes?: Map<string, string>;
}

export function psTable(containers: ContainerSummary[], now: number, extras: PsExtras = {}): string {
  const rows = [...containers]
    .sort(byNewest)
    .map((c) => [
      shortId(c.id),
      c.image,
      goQuote(ellipsis(commandOf(c), 20)),
      ago(c.createdAt, now),
      containerStatus(c, now),
      extras.ports?.get(c.id) ?? "",
      c.name,
      ...(extras.sizes ? [extras.sizes.get(c.id) ?? ""] : []),
    ]);
  return table(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES", ...(extras.sizes ? ["SIZE"] : [])], rows);
}

/** Docker's PORTS cell from inspect's NetworkSettings.Ports: "0.0.0.0:8080->80/tcp, 53/udp". */
export function portsCell(ports: Record<string, { HostIp: string; HostPort: string }[] | null>): string {
  const key = (k: string) => [Number(k.split("/")[0]), k] as const;
  return Object.keys(ports)
    .sort((a, b) => key(a)[0] - key(b)[0] || a.localeCompare(b))
    .flatMap((k) => (ports[k]?.length ? ports[k].map((b) => `${b.HostIp || "0.0.0.0"}:${b.HostPort}->${k}`) : [k]))
    .join(", ");
}

/** Split "host:5000/team/app:1.2" into repository and tag (the colon after the last slash). */
export function splitTag(ref: string): [repo: string, tag: string] {
  const i = ref.lastIndexOf(":");
  if (i > ref.lastIndexOf("/")) return [ref.slice(0, i), ref.slice(i + 1)];
  return [ref, "<none>"];
}

export function imagesTable(images: ImageSummary[], now: number): string {
  const rows: string[][] = [];
  for (const img of [...images].sort(byNewest)) {
    const tail = [shortId(img.id), ago(img.createdAt, now), humanSize(img.size)];
    if (img.tags.length === 0) rows.push(["<none>", "<none>", ...tail]);
    for (const t of img.tags) rows.push([...splitTag(t), ...tail]);
  }
  return table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows);
}

/** Unique short ids, newest first (`images -q`, `ps -q`). */
export function idList<T extends { id: string; createdAt: string }>(items: T[]): string {
  const ids = [...new Set([...items].sort(byNewest).map((x) => shortId(x.id)))];
  return ids.map((id) => id + "\n").join("");
}
