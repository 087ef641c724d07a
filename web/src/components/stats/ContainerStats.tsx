"use client";
import { useMemo, useState } from "react";
import type { StatsRate } from "../../server/stats/router";
import { bytes, percent, rate } from "./format";
import { StatsChart } from "./StatsChart";
import { describeError, teamTrpc, usePoll } from "./team-trpc";
import "./stats.css";

type Range = "1h" | "24h";

/** One container's usage: the newest figures and charts of the last hour (live) or 24 hours. */
export function ContainerStats({ team, container }: { team: string; container: string }) {
  const [range, setRange] = useState<Range>("1h");
  // Live: as often as the worker samples (at most once a second); the 24-hour view once a minute.
  const [every, setEvery] = useState(5_000);
  const { data, error, loading } = usePoll(() => teamTrpc(team).stats.history.query({ id: container, range }), range === "1h" ? every : 60_000, [team, container, range]);
  if (data && Math.max(1_000, data.intervalMs) !== every) setEvery(Math.max(1_000, data.intervalMs));
  const points = data?.points ?? [];
  const last = points[points.length - 1];
  const series = useMemo(() => charts(points), [points]);
  const err = error ? describeError(error) : undefined;

  return (
    <main className="stats-page">
      <header className="stats-header">
        <h1>
          Stats <span className="stats-name">{container}</span>
        </h1>
        <div role="group" aria-label="Time range" className="stats-range">
          {(["1h", "24h"] as const).map((r) => (
            <button key={r} type="button" aria-pressed={range === r} onClick={() => setRange(r)} data-testid={`stats-range-${r}`}>
              {r === "1h" ? "Last hour (live)" : "Last 24 hours"}
            </button>
          ))}
        </div>
      </header>
      {err && (
        <div role="alert" className="stats-error" data-testid="stats-error">
          {err.signedOut ? (
            <>
              You are signed out. <a href="/">Sign in</a> to see this container's stats.
            </>
          ) : (
            err.message
          )}
        </div>
      )}
      {!err && loading && !data && <p>Loading…</p>}
      {data && (
        <>
          <dl className="stats-now" data-testid="stats-now">
            <Figure label="CPU" value={last ? percent(last.cpuPercent) : "—"} />
            <Figure label="Memory" value={last ? `${bytes(last.memory)} / ${bytes(last.memoryLimit)}` : "—"} />
            <Figure label="Network in / out" value={last ? `${rate(last.netRx)} / ${rate(last.netTx)}` : "—"} />
            <Figure label="Block read / write" value={last ? `${rate(last.blockRead)} / ${rate(last.blockWrite)}` : "—"} />
            <Figure label="PIDs" value={last ? String(last.pids) : "—"} />
          </dl>
          {points.length === 0 ? (
            <p className="stats-empty" data-testid="stats-empty">
              {data.state === "running"
                ? `No samples yet: the worker samples every ${Math.round(data.intervalMs / 1000)} s, the first figures appear in a moment.`
                : `No samples in this range: ${data.name} is ${data.state}. Start it (berth start ${data.name}) to see its usage here.`}
            </p>
          ) : (
            <div className="stats-charts" data-testid="stats-charts" data-points={points.length}>
              <StatsChart title="CPU (% of one core)" times={series.times} series={series.cpu} format={percent} testId="chart-cpu" />
              <StatsChart title="Memory" times={series.times} series={series.memory} format={bytes} testId="chart-memory" />
              <StatsChart title="Network" times={series.times} series={series.net} format={rate} testId="chart-net" />
              <StatsChart title="Block I/O" times={series.times} series={series.block} format={rate} testId="chart-block" />
            </div>
          )}
        </>
      )}
    </main>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function charts(points: StatsRate[]) {
  const col = (k: keyof StatsRate) => points.map((p) => p[k]);
  return {
    times: points.map((p) => p.time),
    cpu: [{ label: "CPU", color: "#539bf5", values: col("cpuPercent") }],
    // The limit (the host's memory when unlimited) would flatten the line: it is shown in the figures.
    memory: [{ label: "Used", color: "#57ab5a", values: col("memory") }],
    net: [
      { label: "In", color: "#39c5cf", values: col("netRx") },
      { label: "Out", color: "#b083f0", values: col("netTx") },
    ],
    block: [
      { label: "Read", color: "#e5534b", values: col("blockRead") },
      { label: "Write", color: "#daaa3f", values: col("blockWrite") },
    ],
  };
}
