import type { EdgeVisibility } from "@berth/core";
import type { Actor } from "./actor.js";
import { can } from "./can.js";
import type { TeamAction } from "./roles.js";

/**
 * Who may pass the edge to a port link, by its visibility: public lets anyone; a valid
 * capability secret opens that one port; otherwise the caller must be signed in and hold, in
 * the container's team, "portlink.visit" (team links: any member, viewers included) or
 * "portlink.open" (private links: those who may exec into the container anyway).
 */
export type EdgeVerdict = { allow: true } | { allow: false; status: 401 | 403 | 404; reason: string };

export const edgeActionFor = (v: EdgeVisibility): TeamAction | null => (v === "public" ? null : v === "team" ? "portlink.visit" : "portlink.open");

export function edgeVerdict(o: { visibility: EdgeVisibility; capability: boolean; signedIn: boolean; actor: Actor | null; containerTeamId: string }): EdgeVerdict {
  const action = edgeActionFor(o.visibility);
  if (!action || o.capability) return { allow: true };
  if (!o.signedIn) return { allow: false, status: 401, reason: "sign in to Berth to open this link (or send Authorization: Bearer <API token>)" };
  // Another team's link answers as if it did not exist.
  if (!o.actor) return { allow: false, status: 404, reason: "no such link" };
  const d = can(o.actor, action, { teamId: o.containerTeamId, notFound: "no such link" });
  if (d.allow) return { allow: true };
  return { allow: false, status: d.error.kind === "NotFound" ? 404 : 403, reason: d.error.message };
}
