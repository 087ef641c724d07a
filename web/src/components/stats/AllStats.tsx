"use client";
import { useQuery } from "@tanstack/react-query";
import { Gauge } from "lucide-react";
import { useState } from "react";
import { errorCode, useTRPC } from "../../lib/query";
import { EmptyState, ErrorBox, Loading, PageHeader } from "../ui";
import { bytes, percent, rate } from "./format";
import "./stats.css";

export type StatsSort = "cpu" | "memory" | "name";

/** Every running container of the team at once, live, sortable by CPU or memory. */
export function AllStats({ team, initialSort }: { team: string; initialSort: StatsSort }) {
  const [sort, setSort] = useState<StatsSort>(initialSort);
  // As often as the worker samples (it says how often), at most once a second.
  const [every, setEvery] = useState(5_000);
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.stats.running.queryOptions(), refetchInterval: every });
  const data = q.data;
  if (data && Math.max(1_000, data.intervalMs) !== every) setEvery(Math.max(1_000, data.intervalMs));
  const rows = [...(data?.containers ?? [])].sort((a, b) => {
    if (sort === "name") return a.name.localeCompare(b.name);
    const k = sort === "cpu" ? "cpuPercent" : "memory";
    return (b.now?.[k] ?? -1) - (a.now?.[k] ?? -1) || a.name.localeCompare(b.name);
  });
  const sortBy = (s: StatsSort) => {
    setSort(s);
    // The sort is part of the shareable URL.
    const u = new URL(window.location.href);
    u.searchParams.set("sort", s);
    window.history.replaceState(null, "", u);
  };
  const header = (s: StatsSort, label: string) => (
    <th scope="col" aria-sort={sort === s ? (s === "name" ? "ascending" : "descending") : "none"}>
      <button type="button" onClick={() => sortBy(s)} data-testid={`sort-${s}`}>
        {label}
        {sort === s ? (s === "name" ? " ↑" : " ↓") : ""}
      </button>
    </th>
  );
  const base = `/t/${encodeURIComponent(team)}/containers`;

  return (
    <div className="stats-page">
      <PageHeader title="Stats" subtitle={data ? `Every running container of the team, live: updated every ${every / 1000} s` : "Every running container of the team, live"} />
      {q.isError && (errorCode(q.error) === "UNAUTHORIZED" ? <ErrorBox title="You are signed out: sign in to see your containers" error={q.error} /> : <ErrorBox title="Cannot read the containers' usage" error={q.error} onRetry={() => void q.refetch()} />)}
      {q.isPending && <Loading />}
      {data && rows.length === 0 && (
        <EmptyState icon={<Gauge size={28} />} title="No container is running in this team" command="berth run -d IMAGE" data-testid="stats-empty">
          Start one and its CPU, memory, network and disk use show here.
        </EmptyState>
      )}
      {rows.length > 0 && (
        <table className="stats-table" data-testid="stats-table" data-sort={sort}>
          <thead>
            <tr>
              {header("name", "Name")}
              <th scope="col">Image</th>
              {header("cpu", "CPU")}
              {header("memory", "Memory")}
              <th scope="col">Net in / out</th>
              <th scope="col">Block read / write</th>
              <th scope="col">PIDs</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.id} data-testid="stats-row" data-name={c.name} data-cpu={c.now?.cpuPercent ?? ""} data-memory={c.now?.memory ?? ""}>
                <td>
                  <a href={`${base}/${encodeURIComponent(c.name)}/stats`}>{c.name}</a>
                </td>
                <td>{c.image}</td>
                <td className="num">{c.now ? percent(c.now.cpuPercent) : "—"}</td>
                <td className="num">{c.now ? `${bytes(c.now.memory)} (${percent((c.now.memory / Math.max(1, c.now.memoryLimit)) * 100)})` : "—"}</td>
                <td className="num">{c.now ? `${rate(c.now.netRx)} / ${rate(c.now.netTx)}` : "—"}</td>
                <td className="num">{c.now ? `${rate(c.now.blockRead)} / ${rate(c.now.blockWrite)}` : "—"}</td>
                <td className="num">{c.now?.pids ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
