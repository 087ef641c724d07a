/** How `berth events` prints an event: Docker's line, or a `--format` Go-style template. */

export interface DockerEventView {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: number;
  [k: string]: unknown;
}

/** RFC 3339 with nanoseconds, UTC: 2026-11-28T01:02:03.123456789Z */
export function nanoTime(timeNano: number, time: number): string {
  const ns = BigInt(Math.round(timeNano)) || BigInt(time) * 1_000_000_000n;
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  return `${iso.slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, "0")}Z`;
}

/** `2026-11-28T01:02:03.123456789Z container start <id> (image=busybox, name=foo)` */
export function eventLine(e: DockerEventView): string {
  const attrs = Object.keys(e.Actor.Attributes)
    .sort()
    .map((k) => `${k}=${e.Actor.Attributes[k]}`);
  return `${nanoTime(e.timeNano, e.time)} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length ? ` (${attrs.join(", ")})` : ""}`;
}

const lookup = (v: unknown, path: string): unknown =>
  path
    .split(".")
    .filter(Boolean)
    .reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), v);

/** The subset of Go templates people use with `docker events --format`: `{{json .}}`, `{{.Field.Sub}}`, `{{json .Field}}`. */
export function formatEvent(template: string, e: DockerEventView): string {
  return template.replace(/\{\{\s*(json\s+)?\.([A-Za-z0-9_.]*)\s*\}\}/g, (_, json: string | undefined, p: string) => {
    const v = lookup(e, p);
    if (json) return JSON.stringify(v ?? null);
    if (v === undefined || v === null) return "<no value>";
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  });
}
