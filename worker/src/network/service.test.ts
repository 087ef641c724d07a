// Real bridges, iptables rules and subnet claims under a throwaway host id: no mocks.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@berth/core";
import { claimSubnet, releaseSubnet } from "./ipam.js";
import { formatCidr, overlaps } from "./cidr.js";
import { NetworkService } from "./service.js";

const hostId = `nettest${process.pid.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
let home = "";
const log = createLogger("network-test");

function rulesOf(id: string): string[] {
  return ["nat", "filter"].flatMap((t) => execFileSync("iptables", ["-w", "-t", t, "-S"], { encoding: "utf8" }).split("\n").filter((l) => l.includes(`berth-${id}`)));
}

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("network service tests need root (bridges, iptables)");
  execFileSync("iptables", ["-V"]);
  home = fs.mkdtempSync(path.join(os.tmpdir(), "berth-netsvc-"));
});

afterAll(() => {
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe("NetworkService lifecycle", () => {
  it("a start after a crash keeps the network of a container whose PID 1 runs (lease, names, published port) and drops one whose PID 1 ended", async () => {
    const T = "team-k";
    const [idA, idB] = ["a".repeat(64), "b".repeat(64)];
    const [dirA, dirB] = [fs.mkdtempSync(path.join(home, "ctr-")), fs.mkdtempSync(path.join(home, "ctr-"))];
    const alive = spawn("sleep", ["120"]);
    const ended = spawn("true");
    await once(ended, "exit");
    const first = new NetworkService(home, hostId, log);
    await first.init();
    await first.create("keepnet", {}, T);
    await first.prepare({ id: idA, name: "alive", teamId: T, dir: dirA }, { networks: [{ name: "keepnet", aliases: ["al"] }], publish: [{ hostPort: 0, containerPort: 80, protocol: "tcp" }] });
    await first.started(idA, alive.pid!);
    await first.prepare({ id: idB, name: "gone", teamId: T, dir: dirB }, { networks: [{ name: "keepnet", aliases: [] }] });
    await first.started(idB, ended.pid!);
    const before = first.settings(idA);
    const hostPort = Number(before.Ports["80/tcp"]![0]!.HostPort);
    expect(fs.readFileSync(path.join(dirA, "hosts"), "utf8")).toContain("gone");

    // The first worker dies (no shutdown); the next one starts on what it left.
    const second = new NetworkService(home, hostId, log);
    await second.init();
    try {
      expect([second.kept(idA), second.kept(idB)]).toEqual([true, false]);
      expect(second.settings(idA)).toEqual(before);
      expect(Object.keys(second.inspect(["keepnet"], T)[0]!.Containers)).toEqual([idA]);
      expect(fs.readFileSync(path.join(dirA, "hosts"), "utf8")).not.toContain("gone");
      const accepted = net.connect(hostPort, "127.0.0.1");
      await once(accepted, "connect");
      accepted.destroy();
      // Not adopted after all: its network goes, its port with it.
      await second.settle(new Set());
      expect(second.settings(idA).Networks).toEqual({});
      const refused = net.connect(hostPort, "127.0.0.1");
      await expect(once(refused, "connect")).rejects.toThrow(/ECONNREFUSED/);
      await second.remove(["keepnet"], T);
    } finally {
      alive.kill();
      await second.shutdown();
    }
    expect(rulesOf(hostId)).toEqual([]);
  });

  it("start-up removes a stray link of the instance; networks outlive a restart; shutdown leaves nothing", async () => {
    const first = new NetworkService(home, hostId, log);
    const T = "team-1";
    const stray = `vb${first.tag}zz`;
    execFileSync("ip", ["link", "add", stray, "type", "veth", "peer", "name", `${stray}p`]); // as a crashed worker leaves it
    await first.init();
    expect(fs.existsSync(`/sys/class/net/${stray}`)).toBe(false);
    await first.create("keepme", {}, T);
    const before = first.inspect(["keepme"], T)[0]!;
    const bridge = before.Options["com.docker.network.bridge.name"]!;
    expect(fs.existsSync(`/sys/class/net/${bridge}`)).toBe(true);
    expect(rulesOf(hostId).length).toBeGreaterThan(0);
    await first.shutdown();
    expect(fs.existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    expect(rulesOf(hostId)).toEqual([]);

    const second = new NetworkService(home, hostId, log);
    await second.init();
    try {
      const after = second.inspect(["keepme"], T)[0]!;
      expect(after.Id).toBe(before.Id);
      expect(fs.existsSync(`/sys/class/net/${bridge}`)).toBe(true);
      expect(second.list(T).map((n) => n.Name).sort()).toEqual(["bridge", "host", "keepme", "none"]);
      await expect(second.remove(["bridge"], T)).rejects.toThrow(/pre-defined network/);
      await expect(second.create("keepme", {}, T)).rejects.toThrow(/already exists/);
      await expect(second.check("nope", [], T)).rejects.toThrow("network nope not found");
    } finally {
      await second.shutdown();
    }
    expect(rulesOf(hostId)).toEqual([]);
  });

  it("names are unique within a team: two teams each have `net`, on bridges and subnets of their own, and never see the other's", async () => {
    const svc = new NetworkService(home, hostId, log);
    await svc.init();
    try {
      const a = await svc.create("net", {}, "team-a");
      const b = await svc.create("net", {}, "team-b");
      const [na, nb] = [svc.inspect(["net"], "team-a")[0]!, svc.inspect(["net"], "team-b")[0]!];
      expect([na.Id, nb.Id]).toEqual([a.id, b.id]);
      expect(na.Options["com.docker.network.bridge.name"]).not.toBe(nb.Options["com.docker.network.bridge.name"]);
      expect(na.IPAM.Config[0]!.Subnet).not.toBe(nb.IPAM.Config[0]!.Subnet);
      // By id too, another team's network is not found; lists show the team's own and the shared bridge.
      expect(() => svc.inspect([b.id], "team-a")).toThrow(`network ${b.id} not found`);
      expect(svc.list("team-a").filter((n) => n.Name === "net").map((n) => n.Id)).toEqual([a.id]);
      expect(svc.list("team-c").map((n) => n.Name).sort()).toEqual(["bridge", "host", "none"]);
      // A container of team a joins only team a's networks (and the bridge).
      const dir = fs.mkdtempSync(path.join(home, "ctr-"));
      await expect(svc.prepare({ id: "c".repeat(64), name: "web", teamId: "team-c", dir }, { network: "net" })).rejects.toThrow("network net not found");
      // Prune takes only the caller's team's.
      expect(await svc.prune("team-b")).toEqual([{ id: b.id, name: "net" }]);
      expect(svc.inspect(["net"], "team-a")[0]!.Id).toBe(a.id);
      await svc.remove(["net"], "team-a");
    } finally {
      await svc.shutdown();
    }
  });

  it("a network stored before teams goes to the first admin's team at start-up; the default bridge stays shared", async () => {
    const first = new NetworkService(home, hostId, log);
    await first.init();
    await first.create("old-net", {}, "someone");
    await first.shutdown();
    // As a worker from before teams stored it: no teamId on any record.
    const file = path.join(home, "network", "networks.json");
    const stored = JSON.parse(fs.readFileSync(file, "utf8")) as { networks: Record<string, unknown>[] };
    for (const n of stored.networks) if (n.name === "old-net" || n.name === "bridge") delete n.teamId;
    fs.writeFileSync(file, JSON.stringify(stored));
    const second = new NetworkService(home, hostId, log, { legacyTeam: () => Promise.resolve("admins-team") });
    await second.init();
    try {
      expect(second.list("admins-team").map((n) => n.Name).sort()).toEqual(["bridge", "host", "none", "old-net"]);
      expect(second.list("someone").map((n) => n.Name).sort()).toEqual(["bridge", "host", "none"]);
      const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { networks: { name: string; teamId: string | null }[] };
      expect(saved.networks.filter((n) => n.name !== "keepme").map((n) => [n.name, n.teamId]).sort()).toEqual([
        ["bridge", null],
        ["old-net", "admins-team"],
      ]);
      await second.remove(["old-net"], "admins-team");
    } finally {
      await second.shutdown();
    }
  });

  it("an endpoint's anti-spoofing entry lives as long as the endpoint; the control-plane chain and the nft table go at shutdown", async () => {
    const svc = new NetworkService(home, hostId, log, { controlPlanePorts: [4242, 4343] });
    const nftTable = () => execFileSync("nft", ["list", "tables", "bridge"], { encoding: "utf8" }).includes(`table bridge berth-${hostId}\n`);
    const chain = `BERTH-IN-${svc.tag}`;
    const elements = () => execFileSync("nft", ["list", "set", "bridge", `berth-${hostId}`, "endpoints"], { encoding: "utf8" });
    await svc.init();
    try {
      expect(nftTable()).toBe(true);
      expect(execFileSync("iptables", ["-w", "-S", chain], { encoding: "utf8" })).toMatch(/--dports 4242,4343 .*-j REJECT --reject-with tcp-reset/);
      expect(execFileSync("iptables", ["-w", "-S", "INPUT"], { encoding: "utf8" })).toContain(`-A INPUT -i bb+ -m comment --comment berth-${hostId} -j ${chain}`);
      // Two containers' endpoints: each is one element (veth . MAC . IPv4) while it exists.
      const entryOf = async (id: string) => {
        const { network: n } = await svc.prepare({ id, name: `spoof-${id[0]}`, dir: fs.mkdtempSync(path.join(home, "ctr-")) }, {});
        if (n.mode !== "bridge") throw new Error(`expected a bridge endpoint, got ${n.mode}`);
        return `"${n.hostIfname}" . ${n.mac} . ${n.address}`;
      };
      const [a, b] = [await entryOf("a".repeat(64)), await entryOf("b".repeat(64))];
      expect(elements()).toContain(a);
      expect(elements()).toContain(b);
      await svc.release("a".repeat(64));
      expect(elements()).not.toContain(a);
      expect(elements()).toContain(b);
      await svc.release("b".repeat(64));
      expect(elements()).not.toContain(b);
    } finally {
      await svc.shutdown();
    }
    expect(nftTable()).toBe(false);
    expect(() => execFileSync("iptables", ["-w", "-S", chain], { stdio: "pipe" })).toThrow();
    expect(rulesOf(hostId)).toEqual([]);
  });

  it("subnet claims made at the same moment by several instances never overlap", async () => {
    const owners = Array.from({ length: 6 }, (_, i) => `${hostId}x${i}`);
    // Same start offset for all (same hex prefix), so they really race for the same /24s.
    const claims = await Promise.all(owners.map((o) => claimSubnet(o, `bbrace${o.slice(-1)}`)));
    try {
      for (let i = 0; i < claims.length; i++)
        for (let j = i + 1; j < claims.length; j++) expect(overlaps(claims[i]!, claims[j]!), `${formatCidr(claims[i]!)} vs ${formatCidr(claims[j]!)}`).toBe(false);
    } finally {
      await Promise.all(claims.map((c, i) => releaseSubnet(c, owners[i]!)));
    }
  });
});
