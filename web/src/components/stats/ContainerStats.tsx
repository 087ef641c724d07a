"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { StatsRate } from "../../server/stats/router";
import { errorCode, useTRPC } from "../../lib/query";
import { ErrorBox, Loading } from "../ui";
import { bytes, percent, rate } from "./format";
import { StatsChart } from "./StatsChart";
import "./stats.css";

type Range = "1h" | "24h";

/** One container's usage: the newest figures and charts of the last hour (live) or 24 hours. */
export function ContainerStats({ container }: { container: string }) {
  const [range, setRange] = useState<Range>("1h");
  const trpc = useTRPC();
  // Live: as often as the worker samples (at most once a second); the 24-hour view once a minute.
  const [every, setEvery] = useState(5_000);
  const q = useQuery({ ...trpc.stats.history.queryOptions({ id: container, range }), refetchInterval: range === "1h" ? every : 60_000, placeholderData: keepPreviousData });
  const data = q.data;
  if (data && Math.max(1_000, data.intervalMs) !== every) setEvery(Math.max(1_000, data.intervalMs));
  const points = useMemo(() => data?.points ?? [], [data]);
  const last = points[points.length - 1];
  const series = useMemo(() => charts(points), [points]);

  return (
    <section className="stats-page" aria-labelledby="stats-title">
      <header className="stats-header">
        <h2 id="stats-title">Usage</h2>
        <div role="group" aria-label="Time range" className="stats-range">
          {(["1h", "24h"] as const).map((r) => (
            <button key={r} type="button" aria-pressed={range === r} onClick={() => setRange(r)} data-testid={`stats-range-${r}`}>
              {r === "1h" ? "Last hour (live)" : "Last 24 hours"}
            </button>
          ))}
        </div>
      </header>
      {q.isError && (errorCode(q.error) === "UNAUTHORIZED" ? <ErrorBox title="You are signed out: sign in to see this container's stats" error={q.error} /> : <ErrorBox title={`Cannot read the stats of ${container}`} error={q.error} onRetry={() => void q.refetch()} />)}
      {q.isPending && <Loading />}
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
    </section>
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
