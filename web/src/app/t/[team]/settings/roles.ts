import { roleRank, ROLES, type Role } from "../../../../server/policy/roles";

/** What each role may do, in a line (the table in README's "Teams and access"). */
export const ROLE_HELP: Record<Role, string> = {
  viewer: "lists, inspects, reads logs and stats, pulls",
  member: "also runs, execs, builds, pushes and removes",
  admin: "also manages members, invitations and the audit log",
  owner: "also deletes the team or hands it over",
};

/** The roles `mine` may hand out (no one grants above their own). */
export const grantable = (mine: Role | null, siteAdmin: boolean): Role[] => (siteAdmin ? [...ROLES] : mine ? ROLES.filter((r) => roleRank(r) <= roleRank(mine)) : []);

/** Whether `mine` may change or remove a member holding `theirs`. */
export const outranks = (mine: Role | null, siteAdmin: boolean, theirs: Role) => siteAdmin || (mine !== null && roleRank(theirs) <= roleRank(mine));
