import { ContainerOptions } from "@berth/core";
import type { Db } from "@berth/core/db";
import { parseSignal } from "./lifecycle.js";

/**
 * The container's own `--stop-signal` and `--stop-timeout`, when it was created with them, and
 * whether a policy may start it again by itself (a restart policy other than "no": then a
 * container that is not running right now may be between an exit and its restart).
 */
export function containerStopSettings(c: Db.Container): { signal?: number; timeoutSec?: number; restartsByPolicy: boolean } {
  const parsed = ContainerOptions.safeParse(JSON.parse(c.options || "{}"));
  if (!parsed.success) return { restartsByPolicy: false };
  const o = parsed.data;
  return {
    ...(o.stopSignal !== undefined ? { signal: parseSignal(o.stopSignal) } : {}),
    ...(o.stopTimeout !== undefined ? { timeoutSec: o.stopTimeout } : {}),
    restartsByPolicy: !!o.restart && o.restart.name !== "no",
  };
}
