"use client";
import type { ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { Server, ShieldAlert } from "lucide-react";
import type { HostSummary } from "../../../server/routers/_app";
import { useTRPC } from "../../../lib/query";
import { formatAgo, formatSize } from "../../../lib/format";
import { Badge, Card, EmptyState, ErrorBox, KeyValues, Loading, PageHeader, Stat } from "../../../components/ui";
import "../../admin-pages.css";

/** `/hosts`: the worker hosts, whether they are up and linked, and their CPU, memory and disk (the site admin's). */
export function HostsView() {
  const trpc = useTRPC();
  const status = useQuery(trpc.auth.status.queryOptions(undefined, { staleTime: 60_000 }));
  const siteAdmin = !!status.data?.user?.isAdmin;
  const hosts = useQuery(trpc.host.list.queryOptions(undefined, { enabled: siteAdmin, refetchInterval: 5_000 }));
  if (status.isPending) return <Loading />;
  if (!siteAdmin) {
    return (
      <>
        <PageHeader title="Hosts" />
        <EmptyState icon={<ShieldAlert size={28} />} title="Hosts are the site admin's">
          The machines that run containers serve every team; only the site admin sees and manages them. Your team&apos;s containers show on its overview.
        </EmptyState>
      </>
    );
  }
  return (
    <>
      <PageHeader title="Hosts" subtitle="Each host runs a Berth worker: it holds images, containers and volumes, and links back to web for terminals and logs." />
      {hosts.isError ? (
        <ErrorBox title="Could not list the hosts" error={hosts.error} onRetry={() => void hosts.refetch()} />
      ) : hosts.isPending ? (
        <Loading />
      ) : hosts.data.length === 0 ? (
        <EmptyState icon={<Server size={28} />} title="No host has registered" command="npm start">
          Start Berth (or a worker on another machine with the same database and Redis): each worker registers its host here.
        </EmptyState>
      ) : (
        <div className="stack">
          {hosts.data.map((h) => (
            <HostCard key={h.id} h={h} />
          ))}
        </div>
      )}
    </>
  );
}

function HostCard({ h }: { h: HostSummary }) {
  const r = h.resources;
  const memUsed = r ? r.memTotal - r.memAvailable : 0;
  const diskUsed = r ? r.diskTotal - r.diskFree : 0;
  return (
    <Card
      title={
        <>
          <Server size={16} aria-hidden="true" /> {h.name}
        </>
      }
      actions={
        <>
          <Badge tone={h.online ? "ok" : "bad"} data-testid="host-online">{h.online ? "online" : "offline"}</Badge>{" "}
          {h.agentLinked !== null && (
            <Badge tone={h.agentLinked ? "ok" : "warn"} title="The worker's link to web, which terminals, exec, attach and log reads go through" data-testid="host-agent">
              {h.agentLinked ? "agent linked" : "agent not linked"}
            </Badge>
          )}
        </>
      }
      data-testid="host-card"
    >
      {r ? (
        <div className="grid-stats">
          <Stat label="CPU" value={r.cpuUsage === null ? "…" : `${Math.round(r.cpuUsage * 100)}%`} hint={`${r.cpus} CPUs, load ${r.load1.toFixed(2)}`} ratio={r.cpuUsage ?? undefined} data-testid="host-cpu" />
          <Stat label="Memory" value={formatSize(memUsed)} hint={`of ${formatSize(r.memTotal)}`} ratio={r.memTotal ? memUsed / r.memTotal : undefined} data-testid="host-memory" />
          <Stat label="Disk" value={formatSize(diskUsed)} hint={`of ${formatSize(r.diskTotal)} (${formatSize(r.diskFree)} free)`} ratio={r.diskTotal ? diskUsed / r.diskTotal : undefined} data-testid="host-disk" />
          <Stat label="Containers" value={`${h.containers.running} running`} hint={`${h.containers.total} in all`} />
        </div>
      ) : (
        <p className="muted">{h.online ? "No resource sample yet: the worker reports one every few seconds." : "Offline: no recent resource sample."}</p>
      )}
      <KeyValues
        items={[
          ["Host ID", <span className="mono" key="id">{h.id}</span>],
          ["Last heartbeat", <span key="hb" title={h.lastSeenAt}>{new Date(h.lastSeenAt).getTime() <= 0 ? "stopped" : formatAgo(h.lastSeenAt)}</span>],
          ...(r ? ([["Kernel", r.kernel], ["Data directory", <span className="mono" key="p">{r.diskPath}</span>]] as [string, ReactNode][]) : []),
          ["Registered", formatAgo(h.createdAt)],
        ]}
      />
    </Card>
  );
}
