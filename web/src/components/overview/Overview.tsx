"use client";
import Link from "next/link";
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { Container, Hammer, Play, Server } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { formatAgo, formatSize } from "../../lib/format";
import { loadView } from "../../lib/load";
import { Button, ButtonLink, Card, EmptyState, ErrorBox, Loading, PageHeader, Stat, StatusDot, Table } from "../ui";
import { useLiveRefresh } from "../shell/live";
import { RunDialog } from "../containers/RunDialog";
import { useCpuPercent } from "../containers/cpu";
import { BuildStatusBadge } from "../builds/status";
import { RecentEvents } from "./RecentEvents";

const HOST_FRESH_MS = 90_000;

/** `/t/[team]`: what runs, on which hosts, how loaded they are, and what happened lately. */
export function Overview() {
  const trpc = useTRPC();
  const team = useTeamName();
  const { can, loading: roleLoading } = useRole();
  const [runOpen, setRunOpen] = useState(false);
  const usage = useQuery(trpc.system.usage.queryOptions(undefined, { refetchInterval: 10_000 }));
  const containers = useQuery(trpc.container.list.queryOptions({ all: true }));
  const running = (containers.data ?? []).filter((c) => c.state === "running");
  const stats = useQuery({ ...trpc.container.stats.queryOptions({}), enabled: running.length > 0, refetchInterval: 5_000 });
  const cpu = useCpuPercent(stats.data);
  const images = useQuery(trpc.image.list.queryOptions());
  const builds = useQuery(trpc.build.list.queryOptions({ limit: 5 }, { refetchInterval: 5_000 }));
  useLiveRefresh(() => {
    void containers.refetch();
    void usage.refetch();
  });

  const u = usage.data;
  const memRatio = u ? u.memUsed / u.memTotal : undefined;
  const diskRatio = u?.disk ? u.disk.used / u.disk.total : undefined;
  const load = u ? loadView(u.load[0] ?? 0, u.cpus) : undefined;
  return (
    <>
      <PageHeader
        title="Overview"
        subtitle={`Team ${team}: its containers, builds and events, live.`}
        actions={
          roleLoading ? (
            // The buttons depend on the role: hold their row until it is known, so nothing below jumps.
            <span className="btn-row-placeholder" aria-hidden="true" />
          ) : (
            <>
              {can("image.build") && (
                <ButtonLink href={teamHref(team, "/builds?new=1")} icon={<Hammer size={14} />}>
                  New build
                </ButtonLink>
              )}
              {can("container.run") && (
                <Button variant="primary" icon={<Play size={14} />} onClick={() => setRunOpen(true)} data-testid="run-open">
                  Run container
                </Button>
              )}
            </>
          )
        }
      />
      {usage.isError && <ErrorBox title="Cannot read the hosts' usage" error={usage.error} onRetry={() => void usage.refetch()} />}
      <div className="grid-stats">
        <Stat label="Running containers" value={containers.data ? running.length : "–"} hint={containers.data ? `${containers.data.length} in all` : undefined} data-testid="stat-running" />
        <Stat label="CPU load (1 min)" value={load ? load.value : "–"} hint={load?.hint} ratio={load?.ratio} data-testid="stat-load" />
        <Stat label="Memory" value={u ? formatSize(u.memUsed) : "–"} hint={u ? `of ${formatSize(u.memTotal)}` : undefined} ratio={memRatio} />
        <Stat label="Disk" value={u?.disk ? formatSize(u.disk.used) : "–"} hint={u?.disk ? `of ${formatSize(u.disk.total)} (${u.disk.path})` : undefined} ratio={diskRatio} />
        <Stat label="Images" value={images.data ? images.data.length : "–"} hint={<Link href={teamHref(team, "/images")}>See images</Link>} />
      </div>
      <div className="grid-2">
        <Card title="Running containers" actions={<ButtonLink size="sm" variant="ghost" href={teamHref(team, "/containers")}>All containers</ButtonLink>} data-testid="overview-running">
          {containers.isError ? (
            <ErrorBox error={containers.error} onRetry={() => void containers.refetch()} />
          ) : !containers.data ? (
            <Loading />
          ) : running.length === 0 ? (
            <EmptyState icon={<Container size={28} />} title="Nothing is running" command="berth run -d busybox sleep 1d" action={can("container.run") ? <Button variant="primary" icon={<Play size={14} />} onClick={() => setRunOpen(true)}>Run a container</Button> : undefined}>
              Start one from the CLI or here.
            </EmptyState>
          ) : (
            <Table caption="Running containers">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Image</th>
                  <th scope="col" className="num">CPU</th>
                  <th scope="col" className="num">Memory</th>
                  <th scope="col">Up</th>
                </tr>
              </thead>
              <tbody>
                {running.slice(0, 8).map((c) => {
                  const st = stats.data?.find((s) => s.id === c.id);
                  return (
                    <tr key={c.id}>
                      <td>
                        <Link href={teamHref(team, `/containers/${encodeURIComponent(c.name)}`)}>{c.name}</Link>
                      </td>
                      <td className="truncate mono">{c.image}</td>
                      <td className="num">{cpu.get(c.id) !== undefined ? `${cpu.get(c.id)!.toFixed(1)}%` : "–"}</td>
                      <td className="num">{st ? formatSize(st.memory) : "–"}</td>
                      <td className="nowrap">{formatAgo(c.startedAt).replace(" ago", "")}</td>
                    </tr>
                  );
                })}
              </tbody>
            </Table>
          )}
        </Card>
        <Card title="Recent builds" actions={<ButtonLink size="sm" variant="ghost" href={teamHref(team, "/builds")}>All builds</ButtonLink>} data-testid="overview-builds">
          {builds.isError ? (
            <ErrorBox error={builds.error} />
          ) : !builds.data ? (
            <Loading />
          ) : builds.data.length === 0 ? (
            <EmptyState icon={<Hammer size={28} />} title="No builds yet" command="berth build -t app ." action={can("image.build") ? <ButtonLink href={teamHref(team, "/builds?new=1")}>New build</ButtonLink> : undefined} />
          ) : (
            <Table caption="Recent builds">
              <thead>
                <tr>
                  <th scope="col">Build</th>
                  <th scope="col">Tags</th>
                  <th scope="col">Status</th>
                  <th scope="col">Started</th>
                </tr>
              </thead>
              <tbody>
                {builds.data.map((b) => (
                  <tr key={b.id}>
                    <td>
                      <Link className="mono" href={teamHref(team, `/builds/${b.id}`)}>
                        {b.id.slice(0, 8)}
                      </Link>
                    </td>
                    <td className="truncate">{b.tags.join(", ") || <span className="muted">untagged</span>}</td>
                    <td>
                      <BuildStatusBadge status={b.status} />
                    </td>
                    <td className="nowrap">{formatAgo(b.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </Card>
        {/* Hosts and events span both columns: a host's figures do not fit half a page (on a phone the cells wrap). */}
        <Card title="Hosts" className="span-2" data-testid="overview-hosts">
          {!u ? (
            <Loading />
          ) : u.hosts.length === 0 ? (
            <EmptyState icon={<Server size={28} />} title="No host has registered" command="npm start">
              A host appears here once its worker starts.
            </EmptyState>
          ) : (
            <Table caption="Hosts" className="wrap">
              <thead>
                <tr>
                  <th scope="col">Host</th>
                  <th scope="col">State</th>
                  <th scope="col" className="num">Load (1 min)</th>
                  <th scope="col" className="num">Memory</th>
                  <th scope="col" className="num">Containers</th>
                </tr>
              </thead>
              <tbody>
                {u.hosts.map((h) => {
                  const fresh = Date.now() - Date.parse(h.lastSeenAt) < HOST_FRESH_MS;
                  const r = h.resources;
                  const hl = r ? loadView(r.load1, r.cpus) : undefined;
                  return (
                    <tr key={h.id} data-testid="overview-host">
                      <td>{h.name}</td>
                      <td>
                        <StatusDot state={fresh ? "ok" : "dead"} label={fresh ? "online" : `last seen ${formatAgo(h.lastSeenAt)}`} />
                      </td>
                      <td className="num" data-testid="host-load" title={hl ? `${hl.value} ${hl.hint}` : undefined}>
                        {hl ? `${hl.value} on ${r!.cpus} CPU${r!.cpus === 1 ? "" : "s"}` : "–"}
                      </td>
                      <td className="num">{r ? `${formatSize(r.memUsed)} of ${formatSize(r.memTotal)}` : "–"}</td>
                      <td className="num">
                        {h.running} running of {h.containers}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </Table>
          )}
        </Card>
        <Card title="Recent events" className="span-2" actions={<ButtonLink size="sm" variant="ghost" href={teamHref(team, "/events")}>All events</ButtonLink>} data-testid="overview-events">
          <RecentEvents />
        </Card>
      </div>
      {can("container.run") && <RunDialog open={runOpen} onOpenChange={setRunOpen} />}
    </>
  );
}
