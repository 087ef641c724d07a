/**
 * A host's 1-minute load average as people read it: the load itself and the CPU count ("load
 * 32.4 on 2 CPUs"), with a meter that fills at one runnable task per CPU and stops there. A load
 * above the CPU count is a queue, not a percentage past 100.
 */
export interface LoadView {
  /** The load, one decimal ("32.4"). */
  value: string;
  /** "on 2 CPUs", with how far past the CPUs the queue is when it is ("16.2 per CPU"). */
  hint: string;
  /** 0..1 for the meter: load per CPU, capped at 1. */
  ratio: number;
  overloaded: boolean;
}

export function loadView(load: number, cpus: number): LoadView {
  const n = Math.max(1, cpus);
  const perCpu = Math.max(0, load) / n;
  const cpuWord = `${n} CPU${n === 1 ? "" : "s"}`;
  return {
    value: Math.max(0, load).toFixed(1),
    hint: perCpu > 1 ? `on ${cpuWord}: ${perCpu.toFixed(1)} per CPU, overloaded` : `on ${cpuWord}`,
    ratio: Math.min(1, perCpu),
    overloaded: perCpu > 1,
  };
}
