/**
 * The one table of who may do what inside a team (Coder's RBAC shape): each role lists the
 * actions it allows, each role includes the one below it. Every tRPC procedure, HTTP route
 * and socket.io event names one of these actions (or one of the ACCOUNT_ACTIONS below).
 */

export const ROLES = ["viewer", "member", "admin", "owner"] as const;
export type Role = (typeof ROLES)[number];

/** Reads: lists, inspect, logs, stats, events, pull, save. Nothing here changes state. */
const VIEWER = [
  "team.read",
  "container.read",
  "container.logs",
  "image.read",
  "image.pull",
  "image.save",
  "volume.read",
  "network.read",
  "repo.read",
  "build.read",
  "events.read",
  "stack.read",
  "portlink.read",
  // open a port link whose visibility is "team"
  "portlink.visit",
  // a project's branches and previews; git clone and fetch
  "project.read",
  // a project's environments, their config (secrets masked, always) and releases
  "release.read",
] as const;

/** Everything on the team's resources. */
const MEMBER = [
  "container.run",
  "container.exec",
  "container.attach",
  "container.terminal",
  "container.cp",
  "container.manage",
  "image.build",
  "image.manage",
  "image.push",
  "volume.manage",
  "network.manage",
  "repo.push",
  "repo.manage",
  "stack.manage",
  // open a "private" port link (those who may exec into the container anyway)
  "portlink.open",
  "portlink.manage",
  "project.create",
  // git push (and the preview deploy it starts)
  "project.push",
  // fetch from the project's outside repository
  "project.sync",
  // set and unset an environment's config variables and secrets
  "environment.config",
  // promote a release to the next environment; roll an environment back to an earlier release
  "release.promote",
  "release.rollback",
] as const;

/** The team itself: members, invitations, settings, tokens, its audit log. */
const ADMIN = [
  "team.members",
  "team.invite",
  "team.settings",
  "team.tokens",
  "audit.read",
  "project.delete",
  "project.webhook",
  // add, remove and reorder a project's environments; replicas, limits, the branch one follows
  "environment.manage",
] as const;

/** Deleting the team and handing it over. */
const OWNER = ["team.delete", "team.transfer"] as const;

export type TeamAction = (typeof VIEWER)[number] | (typeof MEMBER)[number] | (typeof ADMIN)[number] | (typeof OWNER)[number];

export const ROLE_ACTIONS: Readonly<Record<Role, ReadonlySet<TeamAction>>> = {
  viewer: new Set<TeamAction>(VIEWER),
  member: new Set<TeamAction>([...VIEWER, ...MEMBER]),
  admin: new Set<TeamAction>([...VIEWER, ...MEMBER, ...ADMIN]),
  owner: new Set<TeamAction>([...VIEWER, ...MEMBER, ...ADMIN, ...OWNER]),
};

/** Every team action, for the coverage test and input validation. */
export const TEAM_ACTIONS: ReadonlySet<TeamAction> = ROLE_ACTIONS.owner;

/** Actions a read-only API token keeps: what a viewer may do. */
export const isReadAction = (a: TeamAction) => ROLE_ACTIONS.viewer.has(a);

/**
 * Actions outside any team: `public` (no sign-in: status, login, set-up), `self` (the caller's
 * own account: whoami, their tokens, their password, their teams), `site` (the site admin's:
 * users, quotas, host paths, garbage collection).
 */
export const ACCOUNT_ACTIONS = ["public", "self", "site"] as const;
export type AccountAction = (typeof ACCOUNT_ACTIONS)[number];

export type Action = TeamAction | AccountAction;

export const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

/** Ranking for "may an admin give this role" (no one grants above their own). */
export const roleRank = (r: Role) => ROLES.indexOf(r);
