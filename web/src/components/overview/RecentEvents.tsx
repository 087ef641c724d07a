"use client";
import { useEffect, useState } from "react";
import { Activity } from "lucide-react";
import { formatAgo } from "../../lib/format";
import { useLive } from "../shell/live";
import { EmptyState, Loading } from "../ui";

interface Row {
  key: string;
  time: number;
  type: string;
  action: string;
  name: string;
}

interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: number;
}

const SHOWN = 10;
const DAY_MS = 24 * 3600_000;
/** The events API's time format: RFC 3339 with nanoseconds (core's normalizeTime). */
const nanoTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 23)}000000Z`;

/** The team's last events (a day back, over the events socket), then new ones as they come. */
export function RecentEvents() {
  const { socket, subscribe } = useLive();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!socket) return;
    let cancelled = false;
    const ask = <T,>(event: string, payload: unknown) => new Promise<T>((resolve) => socket.timeout(15_000).emit(event, payload, (err: Error | null, reply: T) => resolve(err ? ({ error: err.message } as T) : reply)));
    void (async () => {
      const now = Date.now();
      const open = await ask<{ session?: string; error?: string }>("events:open", { since: nanoTime(now - DAY_MS), until: nanoTime(now), filters: [] });
      if (!open.session) return !cancelled && setError(open.error ?? "could not read events");
      const got: Row[] = [];
      for (;;) {
        const r = await ask<{ events?: DockerEvent[]; done?: boolean; error?: string }>("events:next", { session: open.session });
        if (r.error) return !cancelled && setError(r.error);
        for (const e of r.events ?? []) got.push({ key: `${e.timeNano}-${e.Actor.ID}-${e.Action}`, time: e.time * 1000, type: e.Type, action: e.Action, name: e.Actor.Attributes.name ?? e.Actor.ID.slice(0, 12) });
        if (r.done || cancelled) break;
      }
      if (!cancelled) setRows((cur) => merge(cur ?? [], got));
    })();
    return () => {
      cancelled = true;
    };
  }, [socket]);

  useEffect(
    () =>
      subscribe((e) => {
        const [type = "container", action = ""] = e.type.split(".");
        const row = { key: `${e.time}-${e.id}-${action}`, time: Date.parse(e.time), type, action, name: e.attributes?.name ?? e.id.slice(0, 12) };
        setRows((cur) => merge(cur ?? [], [row]));
      }),
    [subscribe],
  );

  if (error) return <p className="muted">Events are unavailable: {error}</p>;
  if (!rows) return <Loading />;
  if (rows.length === 0) return <EmptyState icon={<Activity size={28} />} title="No events in the last day" command="berth events" />;
  return (
    <ul className="events" data-testid="recent-events">
      {rows.map((r) => (
        <li key={r.key}>
          <span className="event-what">
            <span className="muted">{r.type}</span> <strong>{r.action}</strong> {r.name}
          </span>
          <time className="muted nowrap" dateTime={new Date(r.time).toISOString()}>
            {formatAgo(new Date(r.time).toISOString())}
          </time>
        </li>
      ))}
    </ul>
  );
}

function merge(cur: Row[], add: Row[]): Row[] {
  const seen = new Set(cur.map((r) => r.key));
  return [...cur, ...add.filter((r) => !seen.has(r.key))].sort((a, b) => b.time - a.time).slice(0, SHOWN);
}
