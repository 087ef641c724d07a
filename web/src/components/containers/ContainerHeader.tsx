"use client";
import { useParams, useRouter } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { FileText, FolderOpen, Gauge, Info, SquareTerminal } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { useLiveRefresh } from "../shell/live";
import { ErrorBox, PageHeader, StatusDot, Tabs, type TabLink } from "../ui";
import { ContainerActions } from "./actions";
import { stateLabel } from "./state-label";

/** The container's name from the URL. */
export function useContainerName(): string {
  const p = useParams<{ name: string }>();
  return decodeURIComponent(p.name);
}

/** Every container page's header: name, state, lifecycle buttons, and the tabs of its sub-pages. */
export function ContainerHeader() {
  const trpc = useTRPC();
  const team = useTeamName();
  const name = useContainerName();
  const router = useRouter();
  const { can, loading: roleLoading } = useRole();
  const c = useQuery(trpc.container.byId.queryOptions({ id: name }));
  useLiveRefresh(() => void c.refetch(), (e) => e.type.startsWith("container.") && (!c.data || e.id === c.data.id));
  const base = teamHref(team, `/containers/${encodeURIComponent(name)}`);
  const tabs: TabLink[] = [
    { href: base, label: "Overview", icon: <Info size={14} />, exact: true },
    { href: `${base}/logs`, label: "Logs", icon: <FileText size={14} /> },
    { href: `${base}/stats`, label: "Stats", icon: <Gauge size={14} /> },
    ...(can("container.terminal") ? [{ href: `${base}/terminal`, label: "Terminal", icon: <SquareTerminal size={14} /> }] : []),
    { href: `${base}/files`, label: "Files", icon: <FolderOpen size={14} /> },
  ];
  return (
    <>
      <PageHeader
        crumbs={[{ href: teamHref(team, "/containers"), label: "Containers" }]}
        title={name}
        badge={c.data && <StatusDot state={c.data.paused ? "paused" : c.data.state} label={stateLabel(c.data)} />}
        // Until the container's answer comes, its image line and button row keep their places: the tabs and the page below do not jump.
        subtitle={c.data ? <span className="mono">{c.data.image}</span> : "\u00a0"}
        actions={c.data ? <ContainerActions c={c.data} onRemoved={() => router.push(teamHref(team, "/containers"))} /> : (roleLoading || can("container.manage")) && !c.isError ? <span className="btn-row-placeholder" aria-hidden="true" /> : undefined}
      />
      {c.isError && <ErrorBox title={`Cannot open container ${name}`} error={c.error} onRetry={() => void c.refetch()} />}
      <Tabs items={tabs} label="Container views" />
    </>
  );
}
