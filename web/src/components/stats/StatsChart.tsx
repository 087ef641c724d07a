"use client";
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
}

export interface StatsChartProps {
  title: string;
  /** ms since the epoch, ascending */
  times: number[];
  series: ChartSeries[];
  format: (v: number) => string;
  testId?: string;
}

/** One uPlot time chart; the plot is made once and fed new data (no re-creation per sample). */
export function StatsChart({ title, times, series, format, testId }: StatsChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const formatRef = useRef(format);
  formatRef.current = format;
  const shape = series.map((s) => `${s.label}:${s.color}`).join("|");

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 180,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: "#8b949e", grid: { stroke: "rgba(139,148,158,0.15)" } },
        { stroke: "#8b949e", grid: { stroke: "rgba(139,148,158,0.15)" }, size: 70, values: (_u, vals) => vals.map((v) => formatRef.current(v)) },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, fill: `${s.color}22`, value: (_u: uPlot, v: number | null) => (v == null ? "—" : formatRef.current(v)) }))],
    };
    const u = new uPlot(opts, [[], ...series.map(() => [])], el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: 180 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = undefined;
    };
    // Re-made only when the set of series changes.
  }, [shape]);

  useEffect(() => {
    // uPlot takes seconds on its time axis.
    plot.current?.setData([times.map((t) => t / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [times, series]);

  return (
    <figure className="stats-chart" data-testid={testId} data-points={times.length}>
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title} chart, ${times.length} points`} />
    </figure>
  );
}
