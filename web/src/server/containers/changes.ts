import { EVENTS_CHANNEL } from "@berth/core";
import type { Services } from "../services.js";

/**
 * Waits for a container's next change (any event naming it: start, die, health_status, …) over
 * the events channel, so a converge step notices at once instead of on its next poll; `ms` bounds
 * each wait (a missed message costs at most that). One subscriber connection per watch: close it.
 */
export interface ContainerChanges {
  /** Resolves at the next event of a watched container, or after `ms`. */
  next(ms: number): Promise<void>;
  close(): void;
}

export async function watchContainers(s: Services, ids: string[]): Promise<ContainerChanges> {
  const sub = s.blockingRedis();
  const watched = new Set(ids);
  let wake: (() => void) | undefined;
  let pending = false;
  sub.on("message", (channel: string, message: string) => {
    if (channel !== EVENTS_CHANNEL) return;
    let id: unknown;
    try {
      id = (JSON.parse(message) as { id?: unknown }).id;
    } catch {
      return; // not an event: nothing to wake for
    }
    if (typeof id !== "string" || !watched.has(id)) return;
    if (wake) wake();
    else pending = true;
  });
  // A Redis that does not answer: the waits fall back to their bound, as a poll.
  await sub.subscribe(EVENTS_CHANNEL).catch((err: unknown) => s.log.warn({ err: (err as Error).message }, "container changes: subscribing failed; polling"));
  return {
    next(ms) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    },
    close() {
      wake?.();
      sub.disconnect();
    },
  };
}
