/**
 * Volumes and networks belong to a team, as containers do: two teams each have a volume `data`,
 * a network `net` and a container `web`, each sees and uses only its own, and another team's is
 * answered exactly as one that does not exist. alice acts in team red, bob in team blue.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useInstance, type RunResult } from "./harness.js";

const b = useInstance();

interface User {
  name: string;
  token: string;
  team: string;
  berth(args: string[]): Promise<RunResult>;
}
const users: Record<"alice" | "bob", User> = {} as never;

function as(name: string, token: string, team: string): User {
  return { name, token, team, berth: (args) => b.berth(args, { env: { BERTH_TOKEN: token, BERTH_TEAM: team, XDG_CONFIG_HOME: `${b.home}/cfg-${name}` } }) };
}

async function ok(u: User, args: string[]): Promise<string> {
  const r = await u.berth(args);
  expect(r.code, `${u.name}: berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The failure's words, with the name asked for replaced, so another team's and a missing one compare equal. */
async function refusal(u: User, args: string[], name: string): Promise<{ code: number; words: string }> {
  const r = await u.berth(args);
  return { code: r.code, words: r.stderr.split(name).join("<NAME>").trim() };
}

async function trpc<T>(u: User, path: string, input?: unknown): Promise<T> {
  const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await fetch(`${b.url}/api/trpc/${path}${q}`, { headers: { authorization: `Bearer ${u.token}`, "x-berth-team": u.team } });
  const body = (await res.json()) as { result?: { data?: T }; error?: { message?: string } };
  expect(res.status, `${u.name}: ${path}: ${body.error?.message}`).toBe(200);
  return body.result!.data as T;
}

interface Net {
  Name: string;
  Id: string;
  IPAM: { Config: { Subnet: string }[] };
  Options: Record<string, string>;
  Containers: Record<string, { Name: string }>;
}
interface Vol {
  Name: string;
  Mountpoint: string;
  Labels: Record<string, string>;
}
const networks = (u: User) => trpc<Net[]>(u, "network.list");
const volumeNames = async (u: User) => (await ok(u, ["volume", "ls", "-q"])).split("\n").filter(Boolean).sort();
const inspectNet = async (u: User, name: string) => (JSON.parse(await ok(u, ["network", "inspect", name])) as Net[])[0]!;
const inspectVol = async (u: User, name: string) => (JSON.parse(await ok(u, ["volume", "inspect", name])) as Vol[])[0]!;

beforeAll(async () => {
  for (const [name, team] of [
    ["alice", "red"],
    ["bob", "blue"],
  ] as const) {
    const r = await b.berth(["user", "create", name]);
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    users[name] = as(name, token, "");
    await ok(users[name], ["team", "create", team]);
    users[name] = as(name, token, team);
  }
}, 120_000);

describe("the same names in two teams", () => {
  it("each team has its own volume `data`, network `net` and container `web`, and uses only its own", async () => {
    const { alice, bob } = users;
    for (const u of [alice, bob]) {
      await ok(u, ["volume", "create", "--label", `owner=${u.name}`, "data"]);
      await ok(u, ["network", "create", "net"]);
    }
    const [va, vb] = [await inspectVol(alice, "data"), await inspectVol(bob, "data")];
    expect(va.Labels).toEqual({ owner: "alice" });
    expect(vb.Labels).toEqual({ owner: "bob" });
    // On disk the names do not collide: each volume has a directory of its own.
    expect(va.Mountpoint).not.toBe(vb.Mountpoint);
    const [na, nb] = [await inspectNet(alice, "net"), await inspectNet(bob, "net")];
    expect(na.Id).not.toBe(nb.Id);
    expect(na.Options["com.docker.network.bridge.name"]).not.toBe(nb.Options["com.docker.network.bridge.name"]);
    expect(na.IPAM.Config[0]!.Subnet).not.toBe(nb.IPAM.Config[0]!.Subnet);

    for (const u of [alice, bob]) {
      await ok(u, ["run", "-d", "--name", "web", "--network", "net", "-v", "data:/d", "busybox", "sh", "-c", `echo ${u.name} > /d/who; exec sleep 300`]);
    }
    // Each `web` is on its own team's `net`, and its `data` holds what it wrote.
    for (const [u, n] of [
      [alice, na],
      [bob, nb],
    ] as const) {
      const seen = await inspectNet(u, "net");
      expect(Object.values(seen.Containers).map((c) => c.Name)).toEqual(["web"]);
      expect(seen.Id).toBe(n.Id);
      expect((await ok(u, ["run", "--rm", "-v", "data:/d", "busybox", "cat", "/d/who"])).trim()).toBe(u.name);
      expect((await ok(u, ["exec", "web", "cat", "/d/who"])).trim()).toBe(u.name);
      // Name resolution on `net` finds this team's web, on this team's subnet.
      const prefix = n.IPAM.Config[0]!.Subnet.split(".").slice(0, 3).join(".");
      expect(await ok(u, ["run", "--rm", "--network", "net", "busybox", "grep", "-w", "web", "/etc/hosts"])).toContain(prefix);
    }
    // Lists show only the team's own (and the shared default bridge).
    expect(await volumeNames(alice)).toEqual(["data"]);
    expect(await volumeNames(bob)).toEqual(["data"]);
    for (const [u, n] of [
      [alice, na],
      [bob, nb],
    ] as const) {
      const list = await networks(u);
      expect(list.filter((x) => x.Name === "net").map((x) => x.Id)).toEqual([n.Id]);
      expect(list.map((x) => x.Name).sort()).toEqual(["bridge", "host", "net", "none"]);
    }
  }, 180_000);

  it("a volume in use by another team's container of the same name is not in use here", async () => {
    const { alice, bob } = users;
    await ok(alice, ["volume", "create", "shared-name"]);
    await ok(bob, ["create", "--name", "holder", "-v", "shared-name:/d", "busybox", "true"]);
    expect(await ok(alice, ["volume", "ls", "-q", "-f", "dangling=true"])).toContain("shared-name");
    expect((await ok(alice, ["volume", "rm", "shared-name"])).trim()).toBe("shared-name");
    // bob's is untouched, and still his container's.
    const held = await bob.berth(["volume", "rm", "shared-name"]);
    expect(held.code).toBe(1);
    expect(held.stderr).toContain("remove shared-name: volume is in use");
    await ok(bob, ["rm", "holder"]);
    await ok(bob, ["volume", "rm", "shared-name"]);
  }, 120_000);
});

describe("another team's volume or network does not exist", () => {
  beforeAll(async () => {
    await ok(users.alice, ["volume", "create", "secret"]);
    await ok(users.alice, ["run", "--rm", "-v", "secret:/d", "busybox", "sh", "-c", "echo alice-only > /d/f"]);
    await ok(users.alice, ["network", "create", "privnet"]);
    await ok(users.bob, ["run", "-d", "--name", "bob-box", "busybox", "sleep", "300"]);
  }, 120_000);

  it.each([
    ["volume inspect", (n: string) => ["volume", "inspect", n], "secret"],
    ["volume rm", (n: string) => ["volume", "rm", n], "secret"],
    ["network inspect", (n: string) => ["network", "inspect", n], "privnet"],
    ["network rm", (n: string) => ["network", "rm", n], "privnet"],
    ["network connect", (n: string) => ["network", "connect", n, "bob-box"], "privnet"],
    ["network disconnect", (n: string) => ["network", "disconnect", n, "bob-box"], "privnet"],
    ["run --network", (n: string) => ["run", "--rm", "--network", n, "busybox", "true"], "privnet"],
  ] as const)("%s: the same answer as for a missing one", async (_what, args, name) => {
    const { bob } = users;
    const theirs = await refusal(bob, args(name), name);
    const missing = await refusal(bob, args("nosuch"), "nosuch");
    expect(theirs.code).not.toBe(0);
    expect(theirs).toEqual(missing);
    expect(theirs.words).toMatch(/No such (volume|network): <NAME>|no such volume|network <NAME> not found/);
  }, 60_000);

  it("`run -v secret:/x` gives the caller a volume of their own, not the other team's", async () => {
    const { alice, bob } = users;
    expect(await ok(bob, ["run", "--rm", "-v", "secret:/d", "busybox", "ls", "-A", "/d"])).toBe("");
    expect((await inspectVol(bob, "secret")).Mountpoint).not.toBe((await inspectVol(alice, "secret")).Mountpoint);
    expect((await ok(alice, ["run", "--rm", "-v", "secret:/d", "busybox", "cat", "/d/f"])).trim()).toBe("alice-only");
    await ok(bob, ["volume", "rm", "secret"]);
    expect(await volumeNames(alice)).toContain("secret");
  }, 90_000);

  it("a container of team red cannot be attached to team blue's network", async () => {
    const { alice, bob } = users;
    await ok(alice, ["run", "-d", "--name", "red-box", "busybox", "sleep", "300"]);
    await ok(bob, ["network", "create", "bluenet"]);
    const byAlice = await alice.berth(["network", "connect", "bluenet", "red-box"]);
    expect(byAlice.code).toBe(1);
    expect(byAlice.stderr).toContain("network bluenet not found");
    const byBob = await bob.berth(["network", "connect", "bluenet", "red-box"]);
    expect(byBob.code).toBe(1);
    expect(byBob.stderr).toContain("No such container: red-box");
    // Not even by id, and bob's network is left without red's container.
    const id = (await ok(alice, ["inspect", "-f", "{{.Id}}", "red-box"])).trim();
    const blueId = (await inspectNet(bob, "bluenet")).Id;
    const byId = await alice.berth(["network", "connect", blueId, id]);
    expect(byId.code).toBe(1);
    expect(byId.stderr).toContain(`network ${blueId} not found`);
    expect((await inspectNet(bob, "bluenet")).Containers).toEqual({});
  }, 90_000);

  it("the default bridge is shared: every team runs on it and sees only its own containers there", async () => {
    const { alice, bob } = users;
    const seen = async (u: User) => Object.values((await inspectNet(u, "bridge")).Containers).map((c) => c.Name);
    expect(await seen(alice)).toContain("red-box");
    expect(await seen(alice)).not.toContain("bob-box");
    expect(await seen(bob)).toContain("bob-box");
    expect(await seen(bob)).not.toContain("red-box");
    const rm = await bob.berth(["network", "rm", "bridge"]);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain("pre-defined network");
  }, 60_000);
});

describe("prune", () => {
  it("volume prune and network prune remove only the caller's team's unused ones", async () => {
    const { alice, bob } = users;
    await ok(alice, ["volume", "create", "spare"]);
    await ok(bob, ["volume", "create", "spare"]);
    await ok(alice, ["network", "create", "spare-net"]);
    await ok(bob, ["network", "create", "spare-net"]);
    const out = await ok(bob, ["volume", "prune", "-a", "-f"]);
    expect(out).toContain("spare");
    expect(await volumeNames(bob)).not.toContain("spare");
    expect(await volumeNames(alice)).toContain("spare");
    expect(await volumeNames(alice)).toContain("data");
    await ok(bob, ["network", "prune", "-f"]);
    expect((await networks(bob)).map((n) => n.Name)).not.toContain("spare-net");
    // bob's `net` is in use by his web: it stays.
    expect((await networks(bob)).map((n) => n.Name)).toContain("net");
    expect((await networks(alice)).map((n) => n.Name)).toEqual(expect.arrayContaining(["spare-net", "privnet", "net"]));
  }, 120_000);
});

describe("events", () => {
  it("volume and network events reach only their team", async () => {
    const { alice, bob } = users;
    const since = String(Math.floor(Date.now() / 1000) - 1);
    await ok(alice, ["volume", "create", "ev-vol"]);
    await ok(alice, ["network", "create", "ev-net"]);
    await ok(alice, ["volume", "rm", "ev-vol"]);
    await ok(alice, ["network", "rm", "ev-net"]);
    await ok(bob, ["volume", "create", "bob-ev-vol"]);
    const read = (u: User) => ok(u, ["events", "--since", since, "--until", "0s"]);
    const [forAlice, forBob] = [await read(alice), await read(bob)];
    expect(forAlice).toMatch(/volume create ev-vol/);
    expect(forAlice).toMatch(/volume destroy ev-vol/);
    expect(forAlice).toMatch(/network create \S+ \(.*name=ev-net/);
    expect(forAlice).toMatch(/network destroy \S+ \(.*name=ev-net/);
    expect(forAlice).not.toContain("bob-ev-vol");
    expect(forBob).toMatch(/volume create bob-ev-vol/);
    expect(forBob).not.toContain("ev-net");
    expect(forBob).not.toMatch(/[\s=]ev-vol[\s,)]/);
  }, 90_000);
});

describe("team rm", () => {
  it("refuses a team that still owns a network, and removes it once the network is gone", async () => {
    const { alice } = users;
    await ok(alice, ["team", "create", "green"]);
    const inGreen = as("alice", alice.token, "green");
    await ok(inGreen, ["network", "create", "net"]);
    const held = await alice.berth(["team", "rm", "green"]);
    expect(held.code).not.toBe(0);
    expect(held.stderr).toContain("still owns 1 network(s)");
    await ok(inGreen, ["network", "rm", "net"]);
    await ok(alice, ["team", "rm", "green"]);
    // red's `net` was never touched.
    expect((await networks(alice)).map((n) => n.Name)).toContain("net");
  }, 60_000);
});
