import { describe, expect, it } from "vitest";
import { can, type Actor, type Role, type TeamAction } from "./index.js";
import { ROLE_ACTIONS, TEAM_ACTIONS } from "./roles.js";
import { hostPowerRefusal } from "./host-power.js";
import { ContainerOptions } from "@berth/core";

const TEAM = { id: "t1", name: "acme", personal: false };
const actor = (role: Role | null, o: Partial<Actor> = {}): Actor => ({ userId: "u", userName: "u", siteAdmin: false, readOnly: false, team: TEAM, role, ...o });

/** The table, written out: which role may do which action (a change to roles.ts must change this too). */
const EXPECTED: Record<TeamAction, Role> = {
  "team.read": "viewer",
  "container.read": "viewer",
  "container.logs": "viewer",
  "image.read": "viewer",
  "image.pull": "viewer",
  "image.save": "viewer",
  "volume.read": "viewer",
  "network.read": "viewer",
  "repo.read": "viewer",
  "build.read": "viewer",
  "events.read": "viewer",
  "stack.read": "viewer",
  "portlink.read": "viewer",
  "portlink.visit": "viewer",
  "portlink.open": "member",
  "portlink.manage": "member",
  "container.run": "member",
  "container.exec": "member",
  "container.attach": "member",
  "container.terminal": "member",
  "container.cp": "member",
  "container.manage": "member",
  "image.build": "member",
  "image.manage": "member",
  "image.push": "member",
  "volume.manage": "member",
  "network.manage": "member",
  "repo.push": "member",
  "repo.manage": "member",
  "stack.manage": "member",
  "project.read": "viewer",
  "project.create": "member",
  "project.push": "member",
  "project.sync": "member",
  "project.delete": "admin",
  "project.webhook": "admin",
  "release.read": "viewer",
  "environment.config": "member",
  "release.promote": "member",
  "release.rollback": "member",
  "environment.manage": "admin",
  "team.members": "admin",
  "team.invite": "admin",
  "team.settings": "admin",
  "team.tokens": "admin",
  "audit.read": "admin",
  "team.delete": "owner",
  "team.transfer": "owner",
};
const RANK: Role[] = ["viewer", "member", "admin", "owner"];

describe("the role → actions table", () => {
  it("names every action once", () => {
    expect([...TEAM_ACTIONS].sort()).toEqual(Object.keys(EXPECTED).sort());
  });
  const rows = RANK.flatMap((role) => Object.entries(EXPECTED).map(([action, least]) => ({ role, action: action as TeamAction, allowed: RANK.indexOf(role) >= RANK.indexOf(least) })));
  it.each(rows)("$role may $action: $allowed", ({ role, action, allowed }) => {
    expect(ROLE_ACTIONS[role].has(action)).toBe(allowed);
    const d = can(actor(role), action);
    expect(d.allow).toBe(allowed);
    if (!d.allow) expect(d.error.kind).toBe("PermissionDenied");
  });
});

describe("can()", () => {
  it("answers another team's resource as not found, for every role and the site admin", () => {
    for (const a of [actor("owner"), actor("viewer"), actor(null, { siteAdmin: true })]) {
      const d = can(a, "container.read", { teamId: "other", notFound: "No such container: web" });
      expect(d).toMatchObject({ allow: false, error: { kind: "NotFound", message: "No such container: web" } });
    }
  });
  it("lets the site admin act as owner in any team", () => {
    expect(can(actor(null, { siteAdmin: true }), "team.delete").allow).toBe(true);
    expect(can(actor(null), "container.read")).toMatchObject({ allow: false, error: { kind: "NotFound" } });
  });
  it("keeps a read-only token to reads", () => {
    expect(can(actor("owner", { readOnly: true }), "container.logs").allow).toBe(true);
    expect(can(actor("owner", { readOnly: true }), "container.manage")).toMatchObject({ allow: false });
    expect(can(actor("owner", { readOnly: true }), "container.exec")).toMatchObject({ allow: false, error: { kind: "PermissionDenied" } });
    expect(can(actor("owner", { readOnly: true, siteAdmin: true }), "container.run")).toMatchObject({ allow: false, error: { kind: "PermissionDenied" } });
  });
  it("lets everyone read a shared base image and only the site admin change it", () => {
    expect(can(actor("viewer"), "image.read", { teamId: null }).allow).toBe(true);
    expect(can(actor("owner"), "image.manage", { teamId: null })).toMatchObject({ allow: false, error: { kind: "PermissionDenied" } });
    expect(can(actor(null, { siteAdmin: true }), "image.manage", { teamId: null }).allow).toBe(true);
  });
});

describe("host-level power", () => {
  const opts = (o: object) => ContainerOptions.parse(o);
  const member = { siteAdmin: false };
  it.each([
    [{ mounts: [{ type: "bind", source: "/", target: "/host" }] }, /bind mount of host path \/ .*site admin/],
    [{ capAdd: ["SYS_ADMIN"] }, /--cap-add SYS_ADMIN is refused/],
    [{ capAdd: ["ALL"] }, /--cap-add ALL is refused/],
    [{ network: "host" }, /--network host is refused/],
  ])("refuses %j to a non-admin, saying which option", (o, why) => {
    const r = hostPowerRefusal(member, opts(o));
    expect(r?.kind).toBe("PermissionDenied");
    expect(r?.message).toMatch(why);
    expect(hostPowerRefusal({ siteAdmin: true }, opts(o))).toBeUndefined();
  });
  it("allows Docker's default capabilities, volumes, tmpfs and the bridge", () => {
    expect(hostPowerRefusal(member, opts({ capAdd: ["NET_BIND_SERVICE", "CHOWN"], network: "bridge", mounts: [{ type: "volume", source: "data", target: "/d" }, { type: "tmpfs", target: "/t" }] }))).toBeUndefined();
  });
  it("allows a host path the site admin granted the team and what is under it, not a neighbour or a climb out", () => {
    const grants = [{ path: "/srv/cache", readOnly: true }];
    const bind = (source: string) => hostPowerRefusal(member, opts({ mounts: [{ type: "bind", source, target: "/c" }] }), grants);
    expect(bind("/srv/cache/npm")).toBeUndefined();
    expect(bind("/srv/cache/")).toBeUndefined();
    expect(bind("/srv/cache/a/../b")).toBeUndefined();
    expect(bind("/srv/cachex")?.kind).toBe("PermissionDenied");
    expect(bind("/srv/cache/../other")?.message).toMatch(/host path \/srv\/cache\/\.\.\/other \(that is \/srv\/other\).*refused/);
  });
  it("has no way to ask for --privileged, host pid/ipc, devices or a seccomp opt-out", () => {
    for (const o of [{ privileged: true }, { pid: "host" }, { ipc: "host" }, { devices: ["/dev/sda"] }, { securityOpt: ["seccomp=unconfined"] }]) {
      expect(ContainerOptions.safeParse(o).success).toBe(false);
    }
  });
});
