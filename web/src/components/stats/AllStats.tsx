"use client";
import { useState } from "react";
import { bytes, percent, rate } from "./format";
import { describeError, teamTrpc, usePoll } from "./team-trpc";
import "./stats.css";

export type StatsSort = "cpu" | "memory" | "name";

/** Every running container of the team at once, live, sortable by CPU or memory. */
export function AllStats({ team, initialSort }: { team: string; initialSort: StatsSort }) {
  const [sort, setSort] = useState<StatsSort>(initialSort);
  // As often as the worker samples (it says how often), at most once a second.
  const [every, setEvery] = useState(5_000);
  const { data, error, loading } = usePoll(() => teamTrpc(team).stats.running.query(), every, [team]);
  if (data && Math.max(1_000, data.intervalMs) !== every) setEvery(Math.max(1_000, data.intervalMs));
  const err = error ? describeError(error) : undefined;
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
    <main className="stats-page">
      <header className="stats-header">
        <h1>Running containers</h1>
        <span className="stats-hint">{data ? `Live: updated every ${every / 1000} s` : ""}</span>
      </header>
      {err && (
        <div role="alert" className="stats-error" data-testid="stats-error">
          {err.signedOut ? (
            <>
              You are signed out. <a href="/">Sign in</a> to see your containers.
            </>
          ) : (
            err.message
          )}
        </div>
      )}
      {!err && loading && !data && <p>Loading…</p>}
      {data && rows.length === 0 && (
        <p className="stats-empty" data-testid="stats-empty">
          No container is running in this team. Start one with <code>berth run -d IMAGE</code> and its usage shows here.
        </p>
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
    </main>
  );
}
