import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { PermissionDenied, Unauthenticated, type Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { AUTH_REQUIRED_MESSAGE, authenticate, type AuthUser } from "../auth/index.js";
import { recordAudit, requestOrigin } from "../audit/index.js";
import { asBerthError } from "../errors.js";
import { actorFor, teamFromHeaders, type Actor } from "./actor.js";
import { can } from "./can.js";
import { isReadAction, type TeamAction } from "./roles.js";

/**
 * The policy for Berth's streaming HTTP routes (run, cp, build, load/save, push/pull): who is
 * asking, in which team (the team header), and whether they may `action` there. State-changing
 * actions are audited with the decision.
 */
export async function httpActor(d: { db: PrismaClient; log: Logger }, req: IncomingMessage, action: TeamAction | "site", target = ""): Promise<Actor> {
  const user = await authenticate(d.db, req.headers);
  if (!user) throw new Unauthenticated(AUTH_REQUIRED_MESSAGE);
  return actorWithPolicy(d, user, req.headers, action, { target, origin: requestOrigin(req), path: new URL(req.url ?? "/", "http://berth").pathname });
}

/** The same decision for an already authenticated caller (socket.io events). */
export async function actorWithPolicy(
  d: { db: PrismaClient; log: Logger },
  user: AuthUser,
  headers: IncomingHttpHeaders,
  action: TeamAction | "site",
  o: { target?: string; origin: { address: string; client: string }; path: string; team?: string },
): Promise<Actor> {
  const audited = action === "site" || !isReadAction(action);
  const audit = (result: string, team?: { id: string; name: string }, detail = "") =>
    audited ? recordAudit(d.db, d.log, { actorId: user.id, actorName: user.name, teamId: team?.id ?? null, teamName: team?.name ?? null, action, target: o.target ?? "", result, detail: detail || o.path }, o.origin) : Promise.resolve();
  let actor: Actor;
  try {
    actor = await actorFor(d.db, user, o.team ?? teamFromHeaders(headers));
  } catch (err) {
    await audit(asBerthError(err)?.kind ?? "Internal", undefined, (err as Error).message);
    throw err;
  }
  const decision = action === "site" ? (actor.siteAdmin && !actor.readOnly ? { allow: true as const } : { allow: false as const, error: new PermissionDenied("admin only: this is the site admin's") }) : can(actor, action);
  if (!decision.allow) {
    await audit(decision.error.kind, actor.team, decision.error.message);
    throw decision.error;
  }
  await audit("ok", actor.team);
  return actor;
}
