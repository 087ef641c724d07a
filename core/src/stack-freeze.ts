import { z } from "zod";
import { parseDuration } from "./duration.js";
import { InvalidArgument } from "./errors.js";

// ---- Idle freeze of stacks ----------------------------------------------------------------------
// A stack whose port links had no request for its idle time (x-berth.freeze_after, else its team's
// setting, 30 minutes unless changed; 0 is never) is frozen by the
// worker of its host (cgroup freezer, as `berth pause`). The edge records when each container last
// got a request, keeps the set of frozen containers, holds a request to one, and asks web to thaw
// its stack (POST EDGE_THAW_PATH) before passing the request on.

/** Hash: containerId → the time (ms) of the last request the edge passed to it (written at most once a second per container). */
export const EDGE_LAST_REQUEST_KEY = "berth:edge:last-request";
/**
 * Hash: "<containerId>/<session>" → the time (ms) until which that open exec, attach or terminal
 * link keeps its stack awake. Web holds a lease per client link and renews it while the link is
 * open (a web that dies leaves leases that lapse); the freezer skips a stack with a live lease on
 * any of its containers. Closing the link ends the lease and starts the idle clock again.
 */
export const STACK_SESSIONS_KEY = "berth:stack-sessions";
/** A session's lease, and how often web renews it (well within the lease, so one late renewal does not lapse it). */
export const SESSION_LEASE_MS = 30_000;
export const SESSION_RENEW_MS = 10_000;

/** The containers with an open session now (fields whose lease has not lapsed), and the lapsed fields. */
export function liveSessions(leases: Record<string, string>, now: number): { containers: Set<string>; lapsed: string[] } {
  const containers = new Set<string>();
  const lapsed: string[] = [];
  for (const [field, until] of Object.entries(leases)) {
    const id = field.split("/")[0]!;
    if (Number(until) > now) containers.add(id);
    else lapsed.push(field);
  }
  return { containers, lapsed };
}

/** Set of the containers of frozen stacks (the edge's quick answer to "must this request wait for a thaw?"). */
export const FROZEN_CONTAINERS_KEY = "berth:stack-frozen-containers";
/** Pub/sub channel: a stack was frozen or thawed (StackFreezeMessage JSON). */
export const STACK_FREEZE_CHANNEL = "berth:stack-freeze";

export interface StackFreezeMessage {
  stackId: string;
  frozen: boolean;
  containerIds: string[];
}

/** web's endpoint the edge calls to thaw the stack of a container it holds a request for (with the edge key). */
export const EDGE_THAW_PATH = "/api/edge/thaw";
export const EdgeThawRequest = z.object({ containerId: z.string().regex(/^[0-9a-f]{64}$/) });
export type EdgeThawRequest = z.infer<typeof EdgeThawRequest>;

/** How often each worker looks for stacks idle past their freeze_after. */
export const FREEZE_SWEEP_MS = 1_000;

/** A team's idle time before its stacks freeze, until an admin changes it (`berth team set NAME --freeze-after`). */
export const DEFAULT_TEAM_FREEZE_AFTER_MS = 30 * 60_000;
/** The shortest idle time that freezes (shorter would freeze a stack between two clicks). */
export const MIN_FREEZE_AFTER_MS = 1_000;

/**
 * An idle time as a user writes it, in ms: a duration ("30m", "1h30m"), or "0" / "off" / "never"
 * / false for never (0). `where` names the setting in the error.
 */
export function parseFreezeAfter(value: string | number | boolean, where: string): number {
  if (value === false || (typeof value === "string" && ["off", "never", "false", "no"].includes(value.trim().toLowerCase()))) return 0;
  if (value === true) throw new InvalidArgument(`${where}: give a duration (e.g. 30m) or off`);
  const ms = parseDuration(value, where);
  if (ms !== 0 && ms < MIN_FREEZE_AFTER_MS) throw new InvalidArgument(`${where}: ${String(value)} is too short: freeze a stack after at least 1s idle (or off: never)`);
  return ms;
}

/** How long a stack may idle before it freezes: its own x-berth.freeze_after, else its team's; 0: never. */
export function effectiveFreezeAfterMs(stackMs: number | undefined, teamMs: number): number {
  return stackMs ?? teamMs;
}

/** "30m", "1h30m", "off": an idle time as `team set` and the dashboard show it. */
export function formatFreezeAfter(ms: number): string {
  if (ms <= 0) return "off";
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}` || "0s";
}
