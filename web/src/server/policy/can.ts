import { NotFound, PermissionDenied, type BerthError } from "@berth/core";
import { isReadAction, ROLE_ACTIONS, type Role, type TeamAction } from "./roles.js";
import type { Actor } from "./actor.js";

/**
 * What an action is done to: a row's owning team (null for a shared base image, which every
 * team reads and only the site admin changes). `notFound` is the message a missing one gets,
 * so an invisible one answers the same.
 */
export interface Resource {
  teamId: string | null;
  notFound?: string;
}

export type Decision = { allow: true } | { allow: false; error: BerthError };

const ALLOW: Decision = { allow: true };
const refuse = (error: BerthError): Decision => ({ allow: false, error });

/** The role the actor acts with in its current team: the site admin may do all a team's owner may. */
export const effectiveRole = (a: Actor): Role | null => (a.siteAdmin ? "owner" : a.role);

/**
 * The one question: may `actor` do `action` (to `resource`, when there is one)? Another team's
 * resource is refused as NotFound, exactly as one that does not exist.
 */
export function can(actor: Actor, action: TeamAction, resource?: Resource): Decision {
  if (resource && resource.teamId !== null && resource.teamId !== actor.team.id) {
    return refuse(new NotFound(resource.notFound ?? "not found"));
  }
  const role = effectiveRole(actor);
  if (!role) return refuse(new NotFound(`team ${actor.team.name} not found`));
  const read = isReadAction(action);
  if (actor.readOnly && !read) return refuse(new PermissionDenied(`this API token is read-only: ${action} is refused`));
  if (resource?.teamId === null && !read && !actor.siteAdmin) {
    return refuse(new PermissionDenied(`${action}: shared base images are changed only by the site admin`));
  }
  if (!ROLE_ACTIONS[role].has(action)) {
    return refuse(new PermissionDenied(`${action} is refused: you are ${role === "admin" || role === "owner" ? "an" : "a"} ${role} of team ${actor.team.name}`));
  }
  return ALLOW;
}

/** can(), throwing the refusal. */
export function authorize(actor: Actor, action: TeamAction, resource?: Resource): void {
  const d = can(actor, action, resource);
  if (!d.allow) throw d.error;
}
