"use client";
import { useRef } from "react";

interface Sample {
  id: string;
  time: number;
  cpuNs: number;
}

/**
 * CPU % per container from two successive stats samples (cumulative CPU time over wall time,
 * as docker stats computes it: 100% is one CPU busy).
 */
export function useCpuPercent(samples: Sample[] | undefined): Map<string, number> {
  const prev = useRef(new Map<string, Sample>());
  const last = useRef<{ data: Sample[] | undefined; out: Map<string, number> }>({ data: undefined, out: new Map() });
  if (samples === last.current.data) return last.current.out;
  const out = new Map<string, number>();
  for (const s of samples ?? []) {
    const p = prev.current.get(s.id);
    if (p && s.time > p.time && s.cpuNs >= p.cpuNs) out.set(s.id, ((s.cpuNs - p.cpuNs) / 1e6 / (s.time - p.time)) * 100);
    else if (last.current.out.has(s.id)) out.set(s.id, last.current.out.get(s.id)!);
    prev.current.set(s.id, s);
  }
  last.current = { data: samples, out };
  return out;
}
