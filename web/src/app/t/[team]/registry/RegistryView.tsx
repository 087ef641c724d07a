"use client";
import { useDeferredValue, useState } from "react";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { Search, Warehouse } from "lucide-react";
import { useTRPC } from "../../../../lib/query";
import { useRole, useTeamHref } from "../../../../lib/team";
import { formatAgo } from "../../../../lib/format";
import { Badge, EmptyState, ErrorBox, Loading, PageHeader, Table } from "../../../../components/ui";
import { useRegistryHost } from "./pull";
import "../../../admin-pages.css";

/** `/t/[team]/registry`: the repositories the user can see in this Berth's registry, searchable. */
export function RegistryView() {
  const trpc = useTRPC();
  const href = useTeamHref();
  const { team, can } = useRole();
  const [q, setQ] = useState("");
  const query = useDeferredValue(q.trim());
  // An empty search is every visible repository (search.query answers the same as repo.list then).
  const repos = useQuery(trpc.search.query.queryOptions({ q: query, limit: 1000 }, { placeholderData: (prev) => prev }));
  const host = useRegistryHost();

  return (
    <>
      <PageHeader title="Registry" subtitle={<>Repositories in this Berth&apos;s registry at <span className="mono">{host}</span>: yours, your teams&apos; and the public ones.</>} />
      <form role="search" className="toolbar" onSubmit={(e) => e.preventDefault()}>
        <Search size={16} aria-hidden="true" />
        <input type="search" className="grow" aria-label="Search repositories" placeholder="Search by name or description" value={q} onChange={(e) => setQ(e.target.value)} data-testid="registry-search" />
      </form>
      {repos.isError ? (
        <ErrorBox title="Could not list the repositories" error={repos.error} onRetry={() => void repos.refetch()} />
      ) : repos.isPending ? (
        <Loading />
      ) : repos.data.length === 0 ? (
        query ? (
          <EmptyState icon={<Search size={28} />} title={`No repository matches “${query}”`}>
            Private repositories show only to those who may pull them.
          </EmptyState>
        ) : (
          <EmptyState icon={<Warehouse size={28} />} title="No repositories yet" command={`berth push ${host}/${team || "TEAM"}/app:latest`}>
            {can("image.push") ? "Push an image to make the first one: tag it with this registry's address and the team's namespace, then push." : "A member of the team pushes images here; you will see them once there are some."}
          </EmptyState>
        )
      ) : (
        <Table caption="Repositories" data-testid="registry-table">
          <thead>
            <tr>
              <th>Repository</th>
              <th>Visibility</th>
              <th className="num">Tags</th>
              <th>Updated</th>
              <th>Description</th>
            </tr>
          </thead>
          <tbody>
            {repos.data.map((r) => (
              <tr key={r.name} data-testid="repo-row" data-name={r.name}>
                <td>
                  <Link href={href(`/registry/${r.name}`)} className="mono">
                    {r.name}
                  </Link>
                </td>
                <td>
                  <Badge tone={r.public ? "info" : "neutral"}>{r.public ? "public" : "private"}</Badge>
                </td>
                <td className="num">{r.tagCount}</td>
                <td className="nowrap" title={r.updatedAt}>{formatAgo(r.updatedAt)}</td>
                <td className="truncate">{r.description || <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
