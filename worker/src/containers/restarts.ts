import { nextRestartDelay, type RestartPolicy } from "@berth/core";

/**
 * Pending restarts of a host's containers (Docker's restart manager): one timer per container
 * waiting out its backoff, the last delay per container so the next one doubles, and a way to
 * cancel (stop, kill, rm -f, start). Decisions (`shouldRestart`) live in core; this only keeps time.
 */
export class RestartTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lastDelay = new Map<string, number>();

  /** Waits the backoff (from how long the last run lasted), then calls `fire`; returns the delay. */
  schedule(id: string, ranMs: number, fire: () => void): number {
    this.cancel(id);
    const delay = nextRestartDelay(this.lastDelay.get(id) ?? 0, ranMs);
    this.lastDelay.set(id, delay);
    const t = setTimeout(() => {
      this.timers.delete(id);
      fire();
    }, delay);
    this.timers.set(id, t);
    return delay;
  }

  pending(id: string): boolean {
    return this.timers.has(id);
  }

  /** True when a restart was pending (and is now cancelled). */
  cancel(id: string): boolean {
    const t = this.timers.get(id);
    if (!t) return false;
    clearTimeout(t);
    this.timers.delete(id);
    return true;
  }

  /** A user's start begins a new series: the next backoff starts at 100 ms again. */
  reset(id: string): void {
    this.cancel(id);
    this.lastDelay.delete(id);
  }

  cancelAll(): void {
    for (const id of [...this.timers.keys()]) this.cancel(id);
  }
}

export type { RestartPolicy };
