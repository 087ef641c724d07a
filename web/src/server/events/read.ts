import { randomUUID } from "node:crypto";
import { ContainerEvent, EVENTS_STREAM, InvalidArgument, normalizeTime, type BerthEvent, type EventsOpen } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import type { Services } from "../services.js";
import type { EventAudience } from "./audience.js";

const PAGE = 500;
const BLOCK_MS = 2_000;
const FILTER_KEYS = new Set(["type", "event", "container", "image"]);

/** Docker's event JSON (`docker events --format '{{json .}}'`). */
export interface DockerEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: "local";
  time: number;
  timeNano: number;
}

/** key → accepted values (same key: any of them; different keys: all must match), as docker's --filter. */
export function parseFilters(filters: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf("=");
    const key = eq > 0 ? f.slice(0, eq).trim().toLowerCase() : "";
    if (!FILTER_KEYS.has(key)) throw new InvalidArgument(`Invalid filter '${eq > 0 ? f.slice(0, eq) : f}' (supported: type, event, container, image; as key=value)`);
    m.set(key, [...(m.get(key) ?? []), f.slice(eq + 1).trim()]);
  }
  return m;
}

export function matches(e: DockerEvent, filters: Map<string, string[]>): boolean {
  for (const [key, values] of filters) {
    const ok = values.some((v) => {
      if (key === "type") return e.Type === v;
      // "event=health_status" matches "health_status: healthy", as Docker's filter does.
      if (key === "event") return e.Action === v || e.Action.split(":")[0] === v;
      if (key === "container") return e.Type === "container" && (e.Actor.ID === v || (v.length >= 3 && e.Actor.ID.startsWith(v)) || e.Actor.Attributes.name === v.replace(/^\//, ""));
      if (key === "image") return e.Actor.Attributes.image === v || (e.Type === "image" && (e.Actor.ID === v || e.Actor.Attributes.name === v)) || e.Actor.Attributes.image === `${v}:latest`;
      return false;
    });
    if (!ok) return false;
  }
  return true;
}

export function toDocker(ev: BerthEvent): DockerEvent {
  const [Type = "container", kind = ""] = ev.type.split(".");
  const attrs: Record<string, string> = { ...(ev.attributes ?? {}) };
  let Action = kind;
  if (kind === "health_status" && attrs.status) {
    Action = `health_status: ${attrs.status}`;
    delete attrs.status;
  }
  if (Action === "die" && ev.exitCode !== undefined) attrs.exitCode = String(ev.exitCode ?? "");
  const t = normalizeTime(ev.time);
  const ms = Date.parse(t.slice(0, 19) + "Z");
  const timeNano = ms * 1e6 + Number(t.slice(20, 29));
  return {
    ...(Type === "container" ? { status: Action, id: ev.id, from: attrs.image ?? "" } : {}),
    Type,
    Action,
    Actor: { ID: ev.id, Attributes: attrs },
    scope: "local",
    time: Math.floor(ms / 1000),
    timeNano,
  };
}

/**
 * One `berth events` read: the recent-events stream from `since` (or from now), then live events
 * as they are added, until `until` (an `until` in the past ends once the stream is read). Events
 * published without a container's name and image get them from the row (or from earlier events).
 * Only events `audience` may see are read (other teams' are skipped, as if never published).
 */
export class EventsRead {
  readonly session = randomUUID();
  private cursor = "0-0";
  private reader: Redis | undefined;
  private readonly filters: Map<string, string[]>;

  constructor(
    private readonly s: Services,
    private readonly opts: EventsOpen,
    private readonly audience: EventAudience,
  ) {
    this.filters = parseFilters(opts.filters);
  }

  async open(): Promise<void> {
    if (this.opts.since !== undefined) {
      const ms = Date.parse(this.opts.since.slice(0, 19) + "Z");
      this.cursor = `${Math.max(0, ms - 1000)}-0`; // ids are Redis's clock: a second of slack, then times decide
      return;
    }
    const last = (await this.s.redis.xrevrange(EVENTS_STREAM, "+", "-", "COUNT", 1)) as [string, string[]][];
    this.cursor = last[0]?.[0] ?? "0-0";
  }

  private get untilPassed(): boolean {
    return this.opts.until !== undefined && normalizeTime(new Date().toISOString()) > this.opts.until;
  }

  async next(): Promise<{ events: DockerEvent[]; done: boolean }> {
    let raw = (await this.s.redis.xrange(EVENTS_STREAM, `(${this.cursor}`, "+", "COUNT", PAGE)) as [string, string[]][];
    if (!raw.length) {
      if (this.untilPassed) return { events: [], done: true };
      this.reader ??= this.s.blockingRedis();
      const res = (await this.reader.xread("COUNT", PAGE, "BLOCK", BLOCK_MS, "STREAMS", EVENTS_STREAM, this.cursor)) as [string, [string, string[]][]][] | null;
      raw = res?.[0]?.[1] ?? [];
    }
    const events: DockerEvent[] = [];
    for (const [id, fields] of raw) {
      this.cursor = id;
      const json = fields[fields.indexOf("event") + 1];
      let ev: BerthEvent;
      try {
        ev = ContainerEvent.parse(JSON.parse(json ?? ""));
      } catch {
        continue;
      }
      const t = normalizeTime(ev.time);
      if (this.opts.since !== undefined && t < this.opts.since) continue;
      if (this.opts.until !== undefined && t > this.opts.until) return { events, done: true };
      if (!(await this.audience.sees(ev))) continue;
      const d = toDocker(await this.enrich(ev));
      if (matches(d, this.filters)) events.push(d);
    }
    return { events, done: false };
  }

  private async enrich(ev: BerthEvent): Promise<BerthEvent> {
    if (!ev.type.startsWith("container.")) return ev;
    const known = ATTRS.get(ev.id);
    if (ev.attributes?.name && ev.attributes.image) {
      remember(ev.id, { name: ev.attributes.name, image: ev.attributes.image }); // a rename's new name included
      return ev;
    }
    let base = known;
    if (!base) {
      const row = await this.s.db.container.findUnique({ where: { id: ev.id }, select: { name: true, imageRef: true } });
      if (row) remember(ev.id, (base = { name: row.name, image: row.imageRef }));
    }
    return { ...ev, attributes: { ...(base ?? {}), ...(ev.attributes ?? {}) } };
  }

  close(): void {
    this.reader?.disconnect();
    this.reader = undefined;
  }
}

/** Containers' name and image as last seen in an event or row, for events published without them (bounded). */
const ATTRS = new Map<string, Record<string, string>>();
function remember(id: string, a: Record<string, string>): void {
  ATTRS.delete(id);
  ATTRS.set(id, a);
  if (ATTRS.size > 5000) ATTRS.delete(ATTRS.keys().next().value!);
}
