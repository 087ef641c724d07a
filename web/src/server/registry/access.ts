/**
 * Who may do what to a repository. Pure functions: the token endpoint, the /v2/ handlers and
 * the tRPC routers all decide with `heldActions`, so they never disagree.
 */
import { namespaceOf } from "./names.js";

export type Action = "pull" | "push" | "delete";
export const ACTIONS: readonly Action[] = ["pull", "push", "delete"];

/** The caller, as far as permissions go. An anonymous caller has no id. */
export interface Principal {
  id: string | null;
  name: string | null;
  isAdmin: boolean;
  /** A read-only API token (or a registry token issued for one): pull only. */
  readOnly: boolean;
}

export const ANONYMOUS: Principal = { id: null, name: null, isAdmin: false, readOnly: false };

export interface RepoAccessInfo {
  namespace: string;
  ownerId: string | null;
  isPublic: boolean;
}

/** A user's own namespace is their name, lowercased (repository names are lowercase). */
export const ownNamespace = (p: Principal) => (p.name ? p.name.toLowerCase() : null);

/** True if the principal owns the repository (or its namespace, when it does not exist yet). */
export function isOwner(p: Principal, name: string, repo: RepoAccessInfo | null): boolean {
  if (!p.id) return false;
  if (repo?.ownerId && repo.ownerId === p.id) return true;
  return ownNamespace(p) === (repo?.namespace ?? namespaceOf(name));
}

/**
 * The actions the principal holds on repository `name` (`repo` null: it does not exist).
 * Admins and owners pull, push and delete (a read-only token only pulls); anyone pulls a
 * public repository; nobody else sees anything, existing or not.
 */
export function heldActions(p: Principal, name: string, repo: RepoAccessInfo | null): Set<Action> {
  const held = new Set<Action>();
  if (p.isAdmin || isOwner(p, name, repo)) {
    held.add("pull");
    if (!p.readOnly) {
      held.add("push");
      held.add("delete");
    }
  } else if (repo?.isPublic) {
    held.add("pull");
  }
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
