"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { Hammer, Plus } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { formatAgo } from "../../lib/format";
import { Button, Card, EmptyState, ErrorBox, Loading, PageHeader, Table } from "../ui";
import { BuildStatusBadge } from "./status";
import { BuildActions } from "./BuildActions";
import { BuildDialog } from "./BuildDialog";
import type { BuildSummary } from "../../server/routers/_app";

/** `/t/[team]/builds`: the queue (queued, running) and the history of the team's builds. */
export function BuildsList() {
  const trpc = useTRPC();
  const team = useTeamName();
  const { can } = useRole();
  const params = useSearchParams();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (params.get("new") === "1" && can("image.build")) setOpen(true);
  }, [params, can]);
  const list = useQuery(trpc.build.list.queryOptions({ limit: 100 }, { refetchInterval: (q) => (q.state.data?.some((b) => b.status === "queued" || b.status === "running") ? 2_000 : 15_000) }));
  const active = (list.data ?? []).filter((b) => b.status === "queued" || b.status === "running");
  const done = (list.data ?? []).filter((b) => !(b.status === "queued" || b.status === "running"));
  const setOpenAndUrl = (o: boolean) => {
    setOpen(o);
    if (!o && params.get("new")) router.replace(teamHref(team, "/builds"), { scroll: false });
  };
  return (
    <>
      <PageHeader
        title="Builds"
        subtitle="Images built from Dockerfiles, by the CLI or here. Kept a week (the last 200)."
        actions={
          can("image.build") && (
            <Button variant="primary" icon={<Plus size={14} />} onClick={() => setOpen(true)} data-testid="build-open">
              New build
            </Button>
          )
        }
      />
      {list.isError ? (
        <ErrorBox title="Cannot list builds" error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <Card>
          <EmptyState icon={<Hammer size={32} />} title="No builds yet" command="berth build -t app:latest ." action={can("image.build") && <Button variant="primary" onClick={() => setOpen(true)}>New build</Button>}>
            Build from a directory with a Dockerfile, from the CLI or by uploading it here.
          </EmptyState>
        </Card>
      ) : (
        <>
          <Card title={`Queue (${active.length})`} data-testid="builds-queue">
            {active.length === 0 ? <p className="muted">Nothing is building.</p> : <BuildTable team={team} rows={active} />}
          </Card>
          <Card title="History" data-testid="builds-history">
            {done.length === 0 ? <p className="muted">No finished builds yet.</p> : <BuildTable team={team} rows={done} />}
          </Card>
        </>
      )}
      {can("image.build") && <BuildDialog open={open} onOpenChange={setOpenAndUrl} />}
    </>
  );
}

function BuildTable({ team, rows }: { team: string; rows: BuildSummary[] }) {
  return (
    <Table caption="Builds">
      <thead>
        <tr>
          <th scope="col">Build</th>
          <th scope="col">Tags</th>
          <th scope="col">Status</th>
          <th scope="col">By</th>
          <th scope="col">Started</th>
          <th scope="col" className="num">
            Actions
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((b) => (
          <tr key={b.id} data-testid="build-row" data-status={b.status}>
            <td>
              <Link className="mono" href={teamHref(team, `/builds/${b.id}`)}>
                {b.id.slice(0, 8)}
              </Link>
              {b.retryOf && <span className="muted small"> retry of {b.retryOf.slice(0, 8)}</span>}
            </td>
            <td className="truncate">{b.tags.join(", ") || <span className="muted">untagged</span>}</td>
            <td>
              <BuildStatusBadge status={b.status} />
            </td>
            <td>{b.user}</td>
            <td className="nowrap">{formatAgo(b.createdAt)}</td>
            <td className="actions">
              <BuildActions b={b} compact />
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
