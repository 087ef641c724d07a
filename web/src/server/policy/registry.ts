import { isReadAction, ROLE_ACTIONS, type Role, type TeamAction } from "./roles.js";

/** What the registry's token scopes ask for (Docker's `repository:NAME:pull,push,delete`). */
export type RegistryAction = "pull" | "push" | "delete";
export const REGISTRY_ACTIONS: readonly RegistryAction[] = ["pull", "push", "delete"];

/**
 * Each registry action is a row of the one role table (roles.ts): a viewer pulls, a member
 * pushes and deletes. A repository belongs to the team its namespace names (`acme/api` → acme).
 */
export const REGISTRY_TEAM_ACTION: Readonly<Record<RegistryAction, TeamAction>> = {
  pull: "repo.read",
  push: "repo.push",
  delete: "repo.manage",
};

/**
 * The registry actions a caller holds in a team: by their role there (null: not a member),
 * all of them for the site admin, reads only for a read-only token.
 */
export function registryActionsFor(who: { siteAdmin: boolean; readOnly: boolean; role: Role | null }): Set<RegistryAction> {
  const role: Role | null = who.siteAdmin ? "owner" : who.role;
  const held = new Set<RegistryAction>();
  if (!role) return held;
  for (const a of REGISTRY_ACTIONS) {
    const t = REGISTRY_TEAM_ACTION[a];
    if (ROLE_ACTIONS[role].has(t) && (!who.readOnly || isReadAction(t))) held.add(a);
  }
  return held;
}
