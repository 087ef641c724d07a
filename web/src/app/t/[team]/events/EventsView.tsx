"use client";
import { useEffect, useMemo, useState } from "react";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { Activity, Pause, Play } from "lucide-react";
import type { BerthEvent } from "@berth/core";
import { useTRPC } from "../../../../lib/query";
import { useTeamHref } from "../../../../lib/team";
import { useLive } from "../../../../components/shell/live";
import { Badge, Button, EmptyState, ErrorBox, Loading, PageHeader, Table, type Tone } from "../../../../components/ui";
import "../../../admin-pages.css";

/** How many events the page keeps (the newest). */
const KEEP = 1000;

/** The actions of core's EVENT_TYPES (not imported: core's index pulls in server code). */
const ACTIONS = ["create", "start", "stop", "kill", "die", "restart", "rename", "destroy", "tag", "untag", "delete"];

function tone(type: string): Tone {
  if (type.endsWith(".die") || type.endsWith(".kill") || type.endsWith(".destroy") || type.endsWith(".delete")) return "bad";
  if (type.endsWith(".start") || type.endsWith(".create") || type.endsWith(".tag")) return "ok";
  return "neutral";
}

const time = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
};

/** Docker's attributes worth a glance: the exit code of a die, a signal, an old name. */
function details(e: BerthEvent): string {
  const a = e.attributes ?? {};
  const out: string[] = [];
  if (e.type === "container.die") out.push(`exit code ${e.exitCode ?? a.exitCode ?? "?"}`);
  if (a.signal) out.push(`signal ${a.signal}`);
  if (a.oldName) out.push(`was ${a.oldName}`);
  if (e.error) out.push(e.error);
  return out.join(", ");
}

const keyOf = (e: BerthEvent) => `${e.time}|${e.type}|${e.id}`;

/**
 * `/t/[team]/events`: the team's latest events, then new ones live over the shell's socket
 * (the server sends each user only their teams' events; this page keeps the current team's).
 */
export function EventsView() {
  const trpc = useTRPC();
  const href = useTeamHref();
  const { subscribe, connected } = useLive();
  const current = useQuery(trpc.team.current.queryOptions(undefined, { staleTime: 60_000 }));
  const recent = useQuery(trpc.event.recent.queryOptions({ limit: 200 }, { staleTime: Infinity, refetchOnWindowFocus: false }));
  const [live, setLive] = useState<BerthEvent[]>([]);
  const [paused, setPaused] = useState(false);
  const [type, setType] = useState("");
  const [action, setAction] = useState("");
  const [object, setObject] = useState("");
  // Events the worker publishes (start, die, …) carry only the id: names come from earlier events and the team's containers.
  const containers = useQuery(trpc.container.list.queryOptions({ all: true }, { staleTime: 10_000 }));
  const teamId = current.data?.id;

  useEffect(() => {
    if (!teamId || paused) return;
    return subscribe((e) => {
      if (e.teamId !== teamId && e.teamId !== null) return;
      setLive((l) => [...l.slice(-(KEEP - 1)), e]);
    });
  }, [subscribe, teamId, paused]);

  const all = useMemo(() => {
    const seen = new Set<string>();
    const out: BerthEvent[] = [];
    for (const e of [...(recent.data ?? []), ...live]) {
      const k = keyOf(e);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(e);
    }
    return out.slice(-KEEP).reverse();
  }, [recent.data, live]);

  const known = useMemo(() => {
    const m = new Map<string, { name?: string; image?: string }>();
    for (const c of containers.data ?? []) m.set(c.id, { name: c.name, image: c.image });
    // Oldest first, so a rename's newer name wins.
    for (const e of [...all].reverse()) if (e.attributes?.name) m.set(e.id, { name: e.attributes.name, image: e.attributes.image ?? m.get(e.id)?.image });
    return m;
  }, [all, containers.data]);
  const nameOf = (e: BerthEvent) => e.attributes?.name ?? (e.type.startsWith("container.") ? known.get(e.id)?.name : undefined);
  const imageOf = (e: BerthEvent) => e.attributes?.image ?? known.get(e.id)?.image ?? "";

  const needle = object.trim().toLowerCase();
  const shown = all.filter((e) => {
    const [t, a] = e.type.split(".");
    if (type && t !== type) return false;
    if (action && a !== action) return false;
    if (needle && !e.id.toLowerCase().startsWith(needle) && !(nameOf(e) ?? "").toLowerCase().includes(needle) && !imageOf(e).toLowerCase().includes(needle)) return false;
    return true;
  });

  return (
    <>
      <PageHeader
        title="Events"
        subtitle="What happened to the team's containers and images, newest first; new events appear as they happen."
        badge={<span className={connected && !paused ? "live on" : "live"} data-testid="events-live">{paused ? "Paused" : connected ? "Live" : "Reconnecting…"}</span>}
        actions={
          <Button icon={paused ? <Play size={15} /> : <Pause size={15} />} onClick={() => setPaused((p) => !p)} data-testid="events-pause">
            {paused ? "Resume" : "Pause"}
          </Button>
        }
      />
      <form className="toolbar" role="search" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <label className="sr-only" htmlFor="ev-type">Object type</label>
        <select id="ev-type" value={type} onChange={(e) => setType(e.target.value)} data-testid="events-type">
          <option value="">All objects</option>
          <option value="container">Containers</option>
          <option value="image">Images</option>
        </select>
        <label className="sr-only" htmlFor="ev-action">Event</label>
        <select id="ev-action" value={action} onChange={(e) => setAction(e.target.value)} data-testid="events-action">
          <option value="">All events</option>
          {ACTIONS.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor="ev-object">Container or image</label>
        <input id="ev-object" className="grow" type="search" placeholder="Container or image name, or id" value={object} onChange={(e) => setObject(e.target.value)} data-testid="events-object" />
      </form>
      {recent.isError ? (
        <ErrorBox title="Could not read the recent events" error={recent.error} onRetry={() => void recent.refetch()} />
      ) : recent.isPending ? (
        <Loading />
      ) : all.length === 0 ? (
        <EmptyState icon={<Activity size={28} />} title="No events yet" command="berth run --rm busybox echo hello">
          Run, stop or remove a container, or tag an image: each step shows here as it happens.
        </EmptyState>
      ) : shown.length === 0 ? (
        <EmptyState title="No event matches these filters">Clear a filter to see more.</EmptyState>
      ) : (
        <Table caption="Events" data-testid="events-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>Event</th>
              <th>Object</th>
              <th>Image</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => {
              const [t] = e.type.split(".");
              const name = nameOf(e);
              return (
                <tr key={keyOf(e)} data-testid="event-row" data-type={e.type}>
                  <td className="nowrap" title={e.time}>{time(e.time)}</td>
                  <td>
                    <Badge tone={tone(e.type)}>{e.type}</Badge>
                  </td>
                  <td>
                    {t === "container" && name ? (
                      <Link href={href(`/containers/${encodeURIComponent(name)}`)}>{name}</Link>
                    ) : (
                      <span className="mono">{name ?? e.id.replace(/^sha256:/, "").slice(0, 12)}</span>
                    )}
                  </td>
                  <td className="mono">{t === "container" ? imageOf(e) : ""}</td>
                  <td className="muted">{details(e)}</td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
    </>
  );
}
