import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { PermissionDenied, Unauthenticated, type Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { AUTH_REQUIRED_MESSAGE, authenticate, type AuthUser } from "../auth/index.js";
import { recordAudit, requestOrigin } from "../audit/index.js";
import { asBerthError } from "../errors.js";
import { actorFor, teamFromHeaders, type Actor } from "./actor.js";
import { can } from "./can.js";
import { isReadAction, type TeamAction } from "./roles.js";
import { addTiming, timed } from "./timing.js";
import { performance } from "node:perf_hooks";

/**
 * The policy for Berth's streaming HTTP routes (run, cp, build, load/save, push/pull): who is
 * asking, in which team (the team header), and whether they may `action` there. State-changing
 * actions are audited with the decision.
 */
export async function httpActor(d: { db: PrismaClient; log: Logger }, req: IncomingMessage, action: TeamAction | "site", target = ""): Promise<Actor> {
  const user = await timed(req, "auth", () => authenticate(d.db, req.headers));
  if (!user) throw new Unauthenticated(AUTH_REQUIRED_MESSAGE);
  return actorWithPolicy(d, user, req.headers, action, { target, origin: requestOrigin(req), path: new URL(req.url ?? "/", "http://berth").pathname, req });
}

/** The same decision for an already authenticated caller (socket.io events). */
export async function actorWithPolicy(
  d: { db: PrismaClient; log: Logger },
  user: AuthUser,
  headers: IncomingHttpHeaders,
  action: TeamAction | "site",
  o: { target?: string; origin: { address: string; client: string }; path: string; team?: string; req?: IncomingMessage },
): Promise<Actor> {
  const audited = action === "site" || !isReadAction(action);
  const t0 = performance.now();
  const spent = () => o.req && addTiming(o.req, "policy", performance.now() - t0);
  const audit = async (result: string, team?: { id: string; name: string }, detail = "") => {
    if (!audited) return;
    const write = () => recordAudit(d.db, d.log, { actorId: user.id, actorName: user.name, teamId: team?.id ?? null, teamName: team?.name ?? null, action, target: o.target ?? "", result, detail: detail || o.path }, o.origin);
    await (o.req ? timed(o.req, "audit", write) : write());
  };
  let actor: Actor;
  try {
    actor = await actorFor(d.db, user, o.team ?? teamFromHeaders(headers));
  } catch (err) {
    spent();
    await audit(asBerthError(err)?.kind ?? "Internal", undefined, (err as Error).message);
    throw err;
  }
  const decision = action === "site" ? (actor.siteAdmin && !actor.readOnly ? { allow: true as const } : { allow: false as const, error: new PermissionDenied("admin only: this is the site admin's") }) : can(actor, action);
  spent();
  if (!decision.allow) {
    await audit(decision.error.kind, actor.team, decision.error.message);
    throw decision.error;
  }
  await audit("ok", actor.team);
  return actor;
}
