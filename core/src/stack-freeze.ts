import { z } from "zod";

// ---- Idle freeze of stacks ----------------------------------------------------------------------
// A stack with x-berth.freeze_after whose port links had no request for that long is frozen by the
// worker of its host (cgroup freezer, as `berth pause`). The edge records when each container last
// got a request, keeps the set of frozen containers, holds a request to one, and asks web to thaw
// its stack (POST EDGE_THAW_PATH) before passing the request on.

/** Hash: containerId → the time (ms) of the last request the edge passed to it (written at most once a second per container). */
export const EDGE_LAST_REQUEST_KEY = "berth:edge:last-request";
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
