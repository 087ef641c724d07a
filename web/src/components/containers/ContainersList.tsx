"use client";
import Link from "next/link";
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { Container, Play } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { formatAgo, formatCmd, shortId } from "../../lib/format";
import { Button, EmptyState, ErrorBox, Loading, PageHeader, StatusDot, Table } from "../ui";
import { useLiveRefresh } from "../shell/live";
import { useUrlFilters } from "../../lib/url-state";
import { ContainerActions } from "./actions";
import { RunDialog } from "./RunDialog";
import { stateLabel } from "./state-label";

const STATES = ["all", "running", "exited", "created", "restarting", "paused"] as const;

/** `/t/[team]/containers`: every container of the team, filtered by name, state and image (kept in the URL). */
export function ContainersList() {
  const trpc = useTRPC();
  const team = useTeamName();
  const { can } = useRole();
  const [runOpen, setRunOpen] = useState(false);
  const [filters, setParam] = useUrlFilters(["q", "state", "image"], { state: "all" });
  const { q, image } = filters;
  const state = filters.state as (typeof STATES)[number];
  const list = useQuery(trpc.container.list.queryOptions({ all: true }));
  useLiveRefresh(() => void list.refetch(), (e) => e.type.startsWith("container."));

  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return (list.data ?? []).filter((c) => {
      if (needle && !c.name.toLowerCase().includes(needle) && !c.id.startsWith(needle)) return false;
      if (image && c.image !== image) return false;
      if (state === "paused") return c.paused;
      if (state !== "all" && c.state !== state) return false;
      return true;
    });
  }, [list.data, q, image, state]);
  const images = useMemo(() => [...new Set((list.data ?? []).map((c) => c.image))].sort(), [list.data]);
  const canRun = can("container.run");

  return (
    <>
      <PageHeader
        title="Containers"
        subtitle={list.data ? `${list.data.filter((c) => c.state === "running").length} running, ${list.data.length} in all` : undefined}
        actions={
          canRun && (
            <Button variant="primary" icon={<Play size={14} />} onClick={() => setRunOpen(true)} data-testid="run-open">
              Run container
            </Button>
          )
        }
      />
      {list.isError ? (
        <ErrorBox title="Cannot list containers" error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <div className="card-panel">
          <EmptyState
            icon={<Container size={32} />}
            title="No containers yet"
            command="berth run -d busybox sleep 1d"
            action={
              canRun && (
                <Button variant="primary" icon={<Play size={14} />} onClick={() => setRunOpen(true)}>
                  Run a container
                </Button>
              )
            }
          >
            Run one from the CLI, or here.
          </EmptyState>
        </div>
      ) : (
        <div className="card-panel">
          <div className="toolbar" role="search">
            <label className="sr-only" htmlFor="filter-name">
              Filter by name or id
            </label>
            <input id="filter-name" type="search" placeholder="Filter by name or id" value={q} onChange={(e) => setParam("q", e.target.value)} data-testid="filter-name" />
            <label className="sr-only" htmlFor="filter-state">
              State
            </label>
            <select id="filter-state" value={state} onChange={(e) => setParam("state", e.target.value)} data-testid="filter-state">
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s === "all" ? "Any state" : s}
                </option>
              ))}
            </select>
            <label className="sr-only" htmlFor="filter-image">
              Image
            </label>
            <select id="filter-image" value={image} onChange={(e) => setParam("image", e.target.value)} data-testid="filter-image">
              <option value="">Any image</option>
              {images.map((i) => (
                <option key={i} value={i}>
                  {i}
                </option>
              ))}
            </select>
          </div>
          {rows.length === 0 ? (
            <EmptyState title="No container matches these filters" action={<Button onClick={() => {
                  setParam("q", "");
                  setParam("state", "all");
                  setParam("image", "");
                }}>Clear filters</Button>} />
          ) : (
            <Table caption="Containers" data-testid="containers-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col">Image</th>
                  <th scope="col">Command</th>
                  <th scope="col">Created</th>
                  <th scope="col">Id</th>
                  {can("container.manage") && (
                    <th scope="col" className="num">
                      Actions
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <tr key={c.id} data-testid="container-row" data-state={c.paused ? "paused" : c.state} data-name={c.name}>
                    <td>
                      <Link href={teamHref(team, `/containers/${encodeURIComponent(c.name)}`)}>{c.name}</Link>
                    </td>
                    <td>
                      <StatusDot state={c.paused ? "paused" : c.state} label={stateLabel(c)} />
                    </td>
                    <td className="mono truncate">{c.image}</td>
                    <td className="cmd mono" title={formatCmd(c.command ?? c.cmd)}>
                      {formatCmd(c.command ?? c.cmd)}
                    </td>
                    <td className="nowrap">{formatAgo(c.createdAt)}</td>
                    <td className="mono muted">{shortId(c.id)}</td>
                    {can("container.manage") && (
                      <td className="actions">
                        <ContainerActions c={c} compact />
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </div>
      )}
      {canRun && <RunDialog open={runOpen} onOpenChange={setRunOpen} />}
    </>
  );
}
