import { ContainerEvent, EVENTS_STREAM, type BerthEvent } from "@berth/core";
import type { Services } from "../services.js";

/**
 * The team's latest events from the recent-events stream, oldest first: its own and the shared
 * base images' (teamId null), as the live feed shows them. Container events published without
 * the container's name and image get them from its row (if it still exists).
 */
export async function recentEvents(s: Services, teamId: string, limit: number): Promise<BerthEvent[]> {
  const out: BerthEvent[] = [];
  let end = "+";
  // Other teams' events are skipped, so read pages until `limit` are found or the stream ends.
  for (let page = 0; page < 20 && out.length < limit; page++) {
    const raw = (await s.redis.xrevrange(EVENTS_STREAM, end, "-", "COUNT", 500)) as [string, string[]][];
    if (!raw.length) break;
    for (const [, fields] of raw) {
      const ev = eventOf(fields);
      if (!ev || (ev.teamId !== teamId && ev.teamId !== null)) continue;
      out.push(ev);
      if (out.length >= limit) break;
    }
    end = `(${raw[raw.length - 1]![0]}`; // exclusive: the next page starts below the last id read
    if (raw.length < 500) break;
  }
  out.reverse();
  const missing = [...new Set(out.filter((e) => e.type.startsWith("container.") && !(e.attributes?.name && e.attributes.image)).map((e) => e.id))];
  if (!missing.length) return out;
  const rows = await s.db.container.findMany({ where: { id: { in: missing }, teamId }, select: { id: true, name: true, imageRef: true } });
  const known = new Map(rows.map((r) => [r.id, { name: r.name, image: r.imageRef }]));
  return out.map((e) => (known.has(e.id) ? { ...e, attributes: { ...known.get(e.id)!, ...(e.attributes ?? {}) } } : e));
}

/**
 * How a removed container of the team last ended (its `container.die` in the recent-events
 * stream), or undefined when the stream no longer holds it. `run -d --rm` asks this when the start
 * failed: the container is removed with its failure, and Docker's run still names the reason.
 */
export async function lastDieOf(s: Services, teamId: string, id: string): Promise<{ exitCode: number | null; error?: string } | undefined> {
  let end = "+";
  // The die comes right before the removal: it is among the newest events unless the host is very busy.
  for (let page = 0; page < 4; page++) {
    const raw = (await s.redis.xrevrange(EVENTS_STREAM, end, "-", "COUNT", 500)) as [string, string[]][];
    for (const [, fields] of raw) {
      const ev = eventOf(fields);
      if (ev?.type !== "container.die" || ev.id !== id || ev.teamId !== teamId) continue;
      return { exitCode: ev.exitCode ?? null, ...(ev.error ? { error: ev.error } : {}) };
    }
    if (raw.length < 500) break;
    end = `(${raw[raw.length - 1]![0]}`;
  }
  return undefined;
}

/** The event an entry of the stream holds; undefined for one that is not valid JSON or not an event. */
function eventOf(fields: string[]): BerthEvent | undefined {
  try {
    return ContainerEvent.parse(JSON.parse(fields[fields.indexOf("event") + 1] ?? ""));
  } catch {
    return undefined;
  }
}
