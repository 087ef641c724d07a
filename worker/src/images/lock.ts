/**
 * Between writing blobs and recording the rows that refer to them, an image is invisible to
 * garbage collection's mark phase. Writers (load, import, commit, build) hold the lock shared
 * for that window; GC holds it exclusively, so it never sweeps a blob a writer is about to
 * reference. In-process only: one worker per host owns that host's store (the registry in
 * web also writes blobs; GC's grace period covers its short window, see gc.ts).
 */
export class RwLock {
  private readers = 0;
  private writer = false;
  private queue: { exclusive: boolean; wake: () => void }[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(false);
    try {
      return await fn();
    } finally {
      this.readers--;
      this.pump();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(true);
    try {
      return await fn();
    } finally {
      this.writer = false;
      this.pump();
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ exclusive, wake: resolve });
      this.pump();
    });
  }

  /** First come, first served: a waiting GC is not starved by a stream of loads. */
  private pump(): void {
    while (this.queue.length) {
      const next = this.queue[0]!;
      if (next.exclusive) {
        if (this.writer || this.readers > 0) return;
        this.writer = true;
      } else {
        if (this.writer) return;
        this.readers++;
      }
      this.queue.shift();
      next.wake();
    }
  }
}

/** The lock guarding this host's content store and snapshots. */
export const storeLock = new RwLock();
