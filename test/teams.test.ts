import { beforeAll, describe, expect, it } from "vitest";
import { useInstance, type RunResult } from "./harness.js";

/**
 * Teams and the policy, through the real CLI and the real tRPC/HTTP/socket.io endpoints:
 * alice owns team acme with a container in it, vic is acme's viewer, bob is in no team but
 * his own. The wrong user is refused everywhere, and refusals land in the audit log.
 */
const b = useInstance();

interface User {
  name: string;
  token: string;
  berth(args: string[], team?: string): Promise<RunResult>;
}

const users: Record<"alice" | "bob" | "vic", User> = {} as never;
let webId = "";

function as(name: string, token: string): User {
  return {
    name,
    token,
    berth: (args, team) => b.berth(args, { env: { BERTH_TOKEN: token, ...(team ? { BERTH_TEAM: team } : { BERTH_TEAM: "" }), XDG_CONFIG_HOME: `${b.home}/cfg-${name}` } }),
  };
}

/** One tRPC call over HTTP as `u` (queries GET, mutations POST), in `team` when given. */
async function trpc(u: User, kind: "query" | "mutation", path: string, input: unknown, team?: string): Promise<{ status: number; kind?: string; data?: unknown }> {
  const headers: Record<string, string> = { authorization: `Bearer ${u.token}`, ...(team ? { "x-berth-team": team } : {}) };
  const url = `${b.url}/api/trpc/${path}`;
  const res =
    kind === "query"
      ? await fetch(`${url}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
      : await fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data?: unknown }; error?: { data?: { kind?: string } } };
  return { status: res.status, kind: body.error?.data?.kind, data: body.result?.data };
}

beforeAll(async () => {
  for (const name of ["alice", "bob", "vic"] as const) {
    const r = await b.berth(["user", "create", name]);
    expect(r.code, r.stderr).toBe(0);
    users[name] = as(name, r.stdout.trim());
  }
  const { alice } = users;
  expect((await alice.berth(["team", "create", "acme"])).code).toBe(0);
  const add = await alice.berth(["team", "add", "acme", "vic", "--role", "viewer"]);
  expect(add.code, add.stderr).toBe(0);
  const run = await alice.berth(["run", "-d", "--name", "web", "busybox", "sh", "-c", "echo hello-from-acme; sleep 300"], "acme");
  expect(run.code, run.stderr).toBe(0);
  webId = run.stdout.trim();
}, 120_000);

describe("teams", () => {
  it("lists a user's teams with their role", async () => {
    const r = await users.vic.berth(["team", "ls"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/acme\s+viewer/);
    expect(r.stdout).toMatch(/vic\s+owner\s+1\s+yes/);
  });

  it("hides another team's container: the same answer as for one that does not exist", async () => {
    const { bob } = users;
    expect((await bob.berth(["ps", "-a", "-q"])).stdout).toBe("");
    for (const args of [["logs", "web"], ["stop", webId], ["inspect", webId.slice(0, 12)], ["rm", "-f", "web"], ["exec", "web", "true"]]) {
      const r = await bob.berth(args);
      expect(r.code, args.join(" ")).not.toBe(0);
      // `inspect` looks a name up as every type of object, as docker's does: "No such object".
      expect(r.stderr, args.join(" ")).toMatch(args[0] === "inspect" ? /No such object/ : /No such container/);
    }
    // Nor can bob step into acme.
    const r = await bob.berth(["ps"], "acme");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/team acme not found/);
  });

  it("walks the container procedures as the wrong user (NotFound) and as a viewer (PermissionDenied for changes)", async () => {
    const { bob, vic } = users;
    const procs: [kind: "query" | "mutation", path: string, input: object][] = [
      ["query", "container.byId", { id: webId }],
      ["query", "container.inspect", { id: webId }],
      ["query", "container.logs", { id: webId }],
      ["query", "container.top", { id: webId }],
      ["query", "container.changes", { id: webId }],
      ["query", "container.stats", { ids: [webId] }],
      ["query", "container.wait", { id: webId }],
      ["mutation", "container.stop", { id: webId }],
      ["mutation", "container.kill", { id: webId }],
      ["mutation", "container.restart", { id: webId }],
      ["mutation", "container.pause", { id: webId }],
      ["mutation", "container.unpause", { id: webId }],
      ["mutation", "container.rename", { id: webId, name: "stolen" }],
      ["mutation", "container.remove", { id: webId, force: true }],
      ["mutation", "container.start", { id: webId }],
      ["mutation", "image.commit", { container: webId }],
      ["mutation", "network.connect", { network: "bridge", container: webId }],
    ];
    for (const [kind, path, input] of procs) {
      const r = await trpc(bob, kind, path, input);
      expect([r.status, r.kind], `bob ${path}`).toEqual([404, "NotFound"]);
    }
    for (const [kind, path, input] of procs.filter(([k]) => k === "mutation")) {
      const r = await trpc(vic, kind, path, input, "acme");
      expect([r.status, r.kind], `vic ${path}`).toEqual([403, "PermissionDenied"]);
    }
    // The container is untouched.
    const ps = await users.alice.berth(["ps", "--format", "{{.Names}} {{.Status}}"], "acme");
    expect(ps.stdout).toMatch(/^web Up/);
  });

  it("lets a viewer read logs but not open a terminal, exec, stop or run", async () => {
    const { vic } = users;
    const logs = await vic.berth(["logs", "web"], "acme");
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain("hello-from-acme");
    for (const args of [["exec", "web", "true"], ["stop", "web"], ["run", "--rm", "busybox", "true"], ["attach", "web"]]) {
      const r = await vic.berth(args, "acme");
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr, args.join(" ")).toMatch(/refused: you are a viewer of team acme/);
    }
  });

  it("keeps container names unique within a team, not across the host", async () => {
    const r = await users.bob.berth(["run", "--name", "web", "--rm", "busybox", "echo", "bobs-web"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("bobs-web\n");
    const again = await users.alice.berth(["create", "--name", "web", "busybox"], "acme");
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already in use/);
  });

  it("refuses host-level power to a non-admin, says which option, and creates nothing", async () => {
    const { bob } = users;
    const before = (await bob.berth(["ps", "-a", "-q"])).stdout;
    const volumesBefore = (await bob.berth(["volume", "ls", "-q"])).stdout;
    const cases: [string[], RegExp][] = [
      [["-v", "/:/host"], /bind mount of host path \/ .*refused/],
      [["--mount", "type=bind,source=/etc,target=/x"], /bind mount of host path \/etc .*refused/],
      [["--cap-add", "SYS_ADMIN"], /--cap-add SYS_ADMIN is refused/],
      [["--network", "host"], /--network host is refused/],
    ];
    for (const [flags, why] of cases) {
      const r = await bob.berth(["run", "--rm", "-v", "bobvol:/data", ...flags, "busybox", "true"]);
      expect(r.code, flags.join(" ")).not.toBe(0);
      expect(r.stderr, flags.join(" ")).toMatch(why);
      expect(r.stderr).toMatch(/site admin/);
    }
    expect((await bob.berth(["ps", "-a", "-q"])).stdout).toBe(before);
    expect((await bob.berth(["volume", "ls", "-q"])).stdout).toBe(volumesBefore);
    // The site admin may.
    const admin = await b.berth(["run", "--rm", "-v", "/etc:/hostetc:ro", "busybox", "test", "-f", "/hostetc/hostname"]);
    expect(admin.code, admin.stderr).toBe(0);
  });

  it("keeps the shared base images the site admin's", async () => {
    const { bob } = users;
    expect((await bob.berth(["tag", "busybox", "bobs-box:1"])).code).toBe(0);
    const r = await bob.berth(["tag", "bobs-box:1", "busybox:latest"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/shared base images are changed only by the site admin/);
    expect((await bob.berth(["rmi", "busybox"])).stderr).toMatch(/site admin/);
    // alice does not see bob's tag.
    expect((await users.alice.berth(["images"])).stdout).not.toContain("bobs-box");
  });

  it("audits the attempts with actor, team and result, for the team's admins and the site admin", async () => {
    const mine = await users.alice.berth(["audit", "--json"], "acme");
    expect(mine.code, mine.stderr).toBe(0);
    const rows = mine.stdout.trim().split("\n").map((l) => JSON.parse(l) as { actor: string; team: string; action: string; result: string; target: string });
    expect(rows).toContainEqual(expect.objectContaining({ actor: "vic", team: "acme", action: "container.stop", result: "PermissionDenied" }));
    expect(rows).toContainEqual(expect.objectContaining({ actor: "alice", team: "acme", action: "team.addMember", result: "ok" }));
    expect(rows.every((r) => r.team === "acme")).toBe(true);
    // A viewer may not read it; bob's own attempts are in the site admin's view.
    expect((await users.vic.berth(["audit"], "acme")).stderr).toMatch(/audit.read is refused/);
    const all = await b.berth(["audit", "--all", "--json", "--user", "bob"]);
    const bobs = all.stdout.trim().split("\n").map((l) => JSON.parse(l) as { actor: string; action: string; result: string; detail: string });
    expect(bobs).toContainEqual(expect.objectContaining({ actor: "bob", action: "container.stop", result: "NotFound" }));
    expect(bobs.some((r) => r.result === "PermissionDenied" && /--cap-add SYS_ADMIN/.test(r.detail))).toBe(true);
  });
});

describe("images made by a team", () => {
  it("belong to the team that built them: its own to tag and remove, invisible to others, and never over a shared base", async () => {
    const { bob, alice } = users;
    const fs = await import("node:fs");
    const dir = fs.mkdtempSync(`${b.home}/ctx-`);
    fs.writeFileSync(`${dir}/Dockerfile`, "FROM busybox\nRUN echo bob > /who\n");
    const built = await bob.berth(["build", "-t", "bob-app:1", dir]);
    expect(built.code, built.stderr).toBe(0);
    expect((await alice.berth(["images"])).stdout).not.toContain("bob-app");
    expect((await alice.berth(["run", "--rm", "bob-app:1", "cat", "/who"])).stderr).toMatch(/No such image/);
    // Not a shared base: bob may re-tag and remove his own.
    const tag = await bob.berth(["tag", "bob-app:1", "bob-app:2"]);
    expect(tag.code, tag.stderr).toBe(0);
    expect((await bob.berth(["rmi", "bob-app:2"])).code).toBe(0);
    // Building over busybox, or with the host's network, is the site admin's.
    const over = await bob.berth(["build", "-t", "busybox:latest", dir]);
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/shared base images are changed only by the site admin/);
    const host = await bob.berth(["build", "--network", "host", dir]);
    expect(host.code).not.toBe(0);
    expect(host.stderr).toMatch(/--network host is refused/);
    // alice cannot take bob's tag name either.
    const steal = await alice.berth(["build", "-t", "bob-app:1", dir]);
    expect(steal.code).not.toBe(0);
    expect(steal.stderr).toMatch(/not available/);
  });
});

describe("site-wide actions", () => {
  it("are the site admin's, and never a read-only token's", async () => {
    // (volume and network prune are a team's own: test/teams-volumes-networks.test.ts)
    const bob = await users.bob.berth(["image", "prune", "-f"]);
    expect(bob.code).not.toBe(0);
    expect(bob.stderr).toMatch(/admin only/);
    const ro = (await b.berth(["token", "create", "--read-only"])).stdout.trim();
    const r = await b.berth(["image", "prune", "-f"], { env: { BERTH_TOKEN: ro } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/read-only/);
  });
});
