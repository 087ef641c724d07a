"use client";
import Link from "next/link";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Blocks } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref, useTeamName } from "../../lib/team";
import { formatAgo } from "../../lib/format";
import { useLiveRefresh } from "../shell/live";
import { EmptyState, ErrorBox, Loading, PageHeader, StatusDot, Table } from "../ui";

/** `/t/[team]/stacks`: the team's Compose stacks, how much of each runs, and who last brought it up. */
export function StacksList() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const team = useTeamName();
  const list = useQuery(trpc.stack.list.queryOptions());
  useLiveRefresh(() => void qc.invalidateQueries(trpc.stack.list.pathFilter()));
  return (
    <>
      <PageHeader title="Stacks" subtitle="Compose files brought up for the team: an app with its database, cache and workers." />
      {list.isError ? (
        <ErrorBox title="Could not list the stacks" error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <EmptyState icon={<Blocks size={28} />} title="No stacks yet" command="berth stack up -d" data-testid="stacks-empty">
          Run it in a directory with a docker-compose.yml (or pass -f FILE); the stack appears here for the whole team.
        </EmptyState>
      ) : (
        <Table caption="Stacks" data-testid="stacks-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col" className="num">Running</th>
              <th scope="col">Updated</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((s) => (
              <tr key={s.name} data-testid="stack-row" data-name={s.name}>
                <td>
                  <Link href={teamHref(team, `/stacks/${encodeURIComponent(s.name)}`)}>{s.name}</Link>
                </td>
                <td>
                  <StatusDot state={s.total === 0 ? "exited" : s.running === s.total ? "running" : s.running > 0 ? "restarting" : "exited"} label={s.status} />
                </td>
                <td className="num" data-testid="stack-running">
                  {s.running}/{s.total}
                </td>
                <td className="nowrap">{formatAgo(s.updatedAt)}</td>
                <td>{s.updatedBy ?? <span className="muted">unknown</span>}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
