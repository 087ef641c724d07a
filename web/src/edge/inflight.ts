/**
 * Requests the edge is proxying, per upstream container: what lets a switched route's old
 * upstream drain (finish what it was sent) before the deployer removes it.
 */
export class Inflight {
  private counts = new Map<string, number>();
  private idleWaiters = new Set<() => void>();

  /** Counts one request to `containerId`; the returned function ends it (a second call does nothing). */
  acquire(containerId: string): () => void {
    this.counts.set(containerId, (this.counts.get(containerId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.counts.get(containerId) ?? 1) - 1;
      if (n > 0) this.counts.set(containerId, n);
      else {
        this.counts.delete(containerId);
        for (const w of this.idleWaiters) w();
      }
    };
  }

  count(containerId: string): number {
    return this.counts.get(containerId) ?? 0;
  }

  /** Calls `fn` each time some upstream's count drops to zero; returns the unsubscribe. */
  onIdle(fn: () => void): () => void {
    this.idleWaiters.add(fn);
    return () => this.idleWaiters.delete(fn);
  }
}
