/**
 * Who may do what to a repository. Pure functions: the token endpoint, the /v2/ handlers and
 * the tRPC routers all decide with `heldActions`, so they never disagree. The rights come from
 * the policy's role table (web/src/server/policy): a repository belongs to a team, the one its
 * namespace names (`acme/api` → team acme; a user's personal team has the user's name).
 */
import { registryActionsFor, type RegistryAction } from "../policy/registry.js";
import type { Role } from "../policy/roles.js";
import { namespaceOf } from "./names.js";

export type Action = RegistryAction;
export const ACTIONS: readonly Action[] = ["pull", "push", "delete"];

/** A team the principal is in, with their role there. */
export interface TeamRole {
  id: string;
  name: string;
  role: Role;
}

/** The caller, as far as permissions go. An anonymous caller has no id. */
export interface Principal {
  id: string | null;
  name: string | null;
  isAdmin: boolean;
  /** A read-only API token (or a registry token issued for one): pull only. */
  readOnly: boolean;
  /** The teams the caller acts in: all of theirs, or the one a team-limited API token names. */
  teams: readonly TeamRole[];
  /** The team an API token is limited to (its registry tokens too): the user's own namespace is not theirs through it. */
  limitedTo?: string;
  /** The API token the caller came with: registry tokens issued to them name it, and die with it. */
  tokenId?: string;
}

export const ANONYMOUS: Principal = { id: null, name: null, isAdmin: false, readOnly: false, teams: [] };

export interface RepoAccessInfo {
  namespace: string;
  /** The owning team; null for a repository from before teams that none claimed. */
  teamId?: string | null;
  ownerId: string | null;
  isPublic: boolean;
}

/** A user's own namespace is their name, lowercased (repository names are lowercase). */
export const ownNamespace = (p: Principal) => (p.name ? p.name.toLowerCase() : null);

/**
 * The principal's role in the team that owns repository `name` (`repo` null: it does not exist
 * yet, so the namespace names the team). Null when they are not in it.
 */
export function roleFor(p: Principal, name: string, repo: RepoAccessInfo | null): Role | null {
  if (!p.id) return null;
  if (repo?.teamId) return p.teams.find((t) => t.id === repo.teamId)?.role ?? null;
  const namespace = repo?.namespace ?? namespaceOf(name);
  const member = p.teams.find((t) => t.name.toLowerCase() === namespace);
  if (member) return member.role;
  // The user's own namespace before their personal team exists, and unclaimed rows they pushed.
  if (p.limitedTo) return null;
  if (ownNamespace(p) === namespace || (repo?.ownerId && repo.ownerId === p.id)) return "owner";
  return null;
}

/**
 * The actions the principal holds on repository `name` (`repo` null: it does not exist).
 * The owning team's role decides (viewer pulls, member pushes and deletes; a read-only token
 * only pulls; the site admin does all); anyone pulls a public repository; nobody else sees
 * anything, existing or not.
 */
export function heldActions(p: Principal, name: string, repo: RepoAccessInfo | null): Set<Action> {
  const held = registryActionsFor({ siteAdmin: p.isAdmin, readOnly: p.readOnly, role: roleFor(p, name, repo) });
  if (repo?.isPublic) held.add("pull");
  return held;
}

export interface Scope {
  type: string;
  name: string;
  actions: string[];
}

/**
 * Parses `scope` parameters: each may hold several space-separated scopes of the form
 * `type:name:action[,action]` (the name may contain ':' when it carries a registry host).
 */
export function parseScopes(params: string[]): Scope[] {
  const out: Scope[] = [];
  for (const param of params) {
    for (const s of param.split(" ").filter(Boolean)) {
      const first = s.indexOf(":");
      const last = s.lastIndexOf(":");
      if (first < 0 || last === first) continue;
      const type = s.slice(0, first);
      const name = s.slice(first + 1, last);
      const actions = s.slice(last + 1).split(",").map((a) => a.trim()).filter(Boolean);
      if (!type || !name) continue;
      // A repeated scope merges its actions.
      const prev = out.find((x) => x.type === type && x.name === name);
      if (prev) prev.actions = [...new Set([...prev.actions, ...actions])];
      else out.push({ type, name, actions: [...new Set(actions)] });
    }
  }
  return out;
}

/** The requested actions the principal holds ("*" asks for all of them). */
export function grant(requested: string[], held: Set<Action>): Action[] {
  const want = requested.includes("*") ? ACTIONS : requested;
  return ACTIONS.filter((a) => want.includes(a) && held.has(a));
}
