// Real bridges, iptables rules and subnet claims under a throwaway host id: no mocks.
import { execFileSync } from "node:child_process";
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
  it("start-up removes a stray link of the instance; networks outlive a restart; shutdown leaves nothing", async () => {
    const first = new NetworkService(home, hostId, log);
    const stray = `vb${first.tag}zz`;
    execFileSync("ip", ["link", "add", stray, "type", "veth", "peer", "name", `${stray}p`]); // as a crashed worker leaves it
    await first.init();
    expect(fs.existsSync(`/sys/class/net/${stray}`)).toBe(false);
    await first.create("keepme", {});
    const before = first.inspect(["keepme"])[0]!;
    const bridge = before.Options["com.docker.network.bridge.name"]!;
    expect(fs.existsSync(`/sys/class/net/${bridge}`)).toBe(true);
    expect(rulesOf(hostId).length).toBeGreaterThan(0);
    await first.shutdown();
    expect(fs.existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    expect(rulesOf(hostId)).toEqual([]);

    const second = new NetworkService(home, hostId, log);
    await second.init();
    try {
      const after = second.inspect(["keepme"])[0]!;
      expect(after.Id).toBe(before.Id);
      expect(fs.existsSync(`/sys/class/net/${bridge}`)).toBe(true);
      expect(second.list().map((n) => n.Name).sort()).toEqual(["bridge", "host", "keepme", "none"]);
      await expect(second.remove(["bridge"])).rejects.toThrow(/pre-defined network/);
      await expect(second.create("keepme", {})).rejects.toThrow(/already exists/);
      await expect(second.check("nope", [])).rejects.toThrow("network nope not found");
    } finally {
      await second.shutdown();
    }
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
