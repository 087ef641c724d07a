import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startInstance, type Instance } from "./harness.js";
import { makeOutsideWorld, type OutsideWorld } from "./outside-world.js";

// What a container must not do to the host or to its neighbours (the network part of the
// security model): reach Berth's control plane, or send as another MAC or IP on its bridge.
const rand = Math.random().toString(36).slice(2, 7);
let b: Instance;
let outside: OutsideWorld;

beforeAll(async () => {
  outside = makeOutsideWorld("tns");
  // Web on every address, as a default install listens (the harness's default is loopback only).
  b = await startInstance({ env: { BERTH_HOST: "0.0.0.0" } });
}, 180_000);

afterAll(async () => {
  outside?.remove();
  // stop() also fails if a link, an iptables rule or chain, or the nftables table is left.
  if (b) await b.stop();
}, 120_000);

async function ok(inst: Instance, args: string[], timeoutMs = 90_000): Promise<string> {
  const r = await inst.berth(args, { timeoutMs });
  if (r.code !== 0) throw new Error(`berth ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** A shell loop in the container: retries while the server it talks to starts. */
const retry = (cmd: string) => `for i in $(seq 150); do ${cmd} && exit 0; sleep 0.2; done; exit 1`;

/** The host's first non-loopback IPv4 address on a physical-looking interface (eth0 here). */
function hostAddress(): string {
  const ifs = os.networkInterfaces();
  const pick = ifs.eth0 ?? Object.entries(ifs).find(([n]) => !/^(lo|docker|br-|bb|vb|veth|vn|tns)/.test(n))?.[1];
  const a = pick?.find((x) => x.family === "IPv4" && !x.internal);
  if (!a) throw new Error(`no external IPv4 address on this host: ${JSON.stringify(Object.keys(ifs))}`);
  return a.address;
}

async function gatewayOf(inst: Instance, network: string): Promise<string> {
  const [n] = JSON.parse(await ok(inst, ["network", "inspect", network])) as { IPAM: { Config: { Gateway: string }[] } }[];
  return n!.IPAM.Config[0]!.Gateway;
}

// busybox 1.35's `wget -T` crashes (SIGSEGV) when its connection fails: `timeout` bounds the wait instead.

/** GET from inside a new container on `network`, giving up after 10 s: the body, or undefined. */
async function fetchFromContainer(inst: Instance, network: string, url: string): Promise<string | undefined> {
  const r = await inst.berth(["run", "--rm", "--network", network, "busybox", "timeout", "10", "wget", "-q", "-O-", url], { timeoutMs: 60_000 });
  return r.code === 0 ? r.stdout : undefined;
}

describe("containers and Berth's control plane", () => {
  for (const kind of ["default bridge", "user network"] as const) {
    it(`from the ${kind}, web's port answers on no host address; egress and published ports still work`, async () => {
      let network = "bridge";
      if (kind === "user network") {
        network = `cp-${rand}`;
        await ok(b, ["network", "create", network]);
      }
      const gw = await gatewayOf(b, network);
      // Web is up and listening on every address: the host itself reaches it there.
      const fromHost = await fetch(`http://${hostAddress()}:${b.port}/api/health`);
      expect(fromHost.status).toBe(200);
      for (const addr of [gw, hostAddress()]) {
        expect(await fetchFromContainer(b, network, `http://${addr}:${b.port}/api/health`), `web's port on ${addr}`).toBeUndefined();
      }

      // What containers rely on still works: egress to another host (the test's namespace)...
      const port = kind === "user network" ? 7102 : 7101;
      await outside.listen(port, "egress-ok ");
      const egress = await b.berth(["run", "--rm", "--network", network, "busybox", "sh", "-c", retry(`nc ${outside.peerAddress} ${port} </dev/null`)], { timeoutMs: 90_000 });
      expect(egress.stdout).toMatch(/^egress-ok /);
      // ...and another container's published port, through the gateway.
      const pub = await freePort();
      const name = `cp-pub-${kind === "user network" ? "u" : "d"}-${rand}`;
      await ok(b, ["run", "-d", "--name", name, "-p", `${pub}:80`, "busybox", "sh", "-c", "echo published > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]);
      const viaGw = await b.berth(["run", "--rm", "--network", network, "busybox", "sh", "-c", retry(`timeout 10 wget -q -O- http://${gw}:${pub}/index.html`)], { timeoutMs: 90_000 });
      expect(viaGw.stdout).toBe("published\n");
      await ok(b, ["rm", "-f", name]);
      if (network !== "bridge") await ok(b, ["network", "rm", network]);
    }, 240_000);
  }

  it("BERTH_ALLOW_CONTAINER_CONTROL_PLANE=1 lets containers reach web's port", async () => {
    const open = await startInstance({ env: { BERTH_HOST: "0.0.0.0", BERTH_ALLOW_CONTAINER_CONTROL_PLANE: "1" } });
    try {
      const gw = await gatewayOf(open, "bridge");
      const body = await fetchFromContainer(open, "bridge", `http://${gw}:${open.port}/api/health`);
      expect(body).toContain("hostsOnline");
      // The other instance still refuses its own port to this one's containers.
      expect(await fetchFromContainer(open, "bridge", `http://${gw}:${b.port}/api/health`)).toBeUndefined();
    } finally {
      await open.stop();
    }
  }, 240_000);
});

describe("anti-spoofing between containers", () => {
  const net = `spoof-${rand}`;
  let victim: { ip: string; mac: string; gw: string };

  beforeAll(async () => {
    await ok(b, ["network", "create", net]);
    await ok(b, ["run", "-d", "--name", `victim-${rand}`, "--network", net, "busybox", "sleep", "3600"]);
    const [c] = JSON.parse(await ok(b, ["inspect", `victim-${rand}`])) as { NetworkSettings: { Networks: Record<string, { IPAddress: string; MacAddress: string; Gateway: string }> } }[];
    const ep = c!.NetworkSettings.Networks[net]!;
    victim = { ip: ep.IPAddress, mac: ep.MacAddress, gw: ep.Gateway };
  }, 180_000);

  afterAll(async () => {
    await b?.berth(["rm", "-f", `victim-${rand}`]);
    // The endpoint goes once the container's exit is recorded.
    for (let i = 0; i < 100 && (await b?.berth(["network", "rm", net]))?.code !== 0; i++) await new Promise((r) => setTimeout(r, 200));
  }, 60_000);

  /** The victim's ARP table: IP → MAC. */
  async function victimArp(): Promise<Map<string, string>> {
    const text = await ok(b, ["exec", `victim-${rand}`, "cat", "/proc/net/arp"]);
    return new Map(
      text
        .split("\n")
        .slice(1)
        .filter(Boolean)
        .map((l) => l.trim().split(/\s+/))
        .map((f) => [f[0]!, f[3]!]),
    );
  }

  /** Echo requests the victim's kernel has received so far (/proc/net/snmp, Icmp: InEchos). */
  async function victimEchoes(): Promise<number> {
    const lines = (await ok(b, ["exec", `victim-${rand}`, "cat", "/proc/net/snmp"])).split("\n").filter((l) => l.startsWith("Icmp:"));
    const [names, values] = lines.map((l) => l.split(/\s+/));
    return Number(values![names!.indexOf("InEchos")]);
  }

  it("a gratuitous ARP claiming the gateway's address does not change another container's neighbour table", async () => {
    // The victim talks to the gateway (a refused TCP connection is enough): its entry is the bridge's MAC.
    await b.berth(["exec", `victim-${rand}`, "timeout", "10", "wget", "-q", "-O-", `http://${victim.gw}:1/`]);
    const before = (await victimArp()).get(victim.gw);
    expect(before).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    // The attacker takes the gateway's address and announces it (three times, a second apart:
    // past the neighbour table's one-second lock on a fresh entry).
    const attack = await b.berth(["run", "--rm", "--network", net, "--cap-add", "NET_ADMIN", "busybox", "sh", "-c", `cat /sys/class/net/eth0/address; ip addr add ${victim.gw}/32 dev eth0 && arping -c 3 -U -s ${victim.gw} -I eth0 ${victim.gw} >&2`], { timeoutMs: 60_000 });
    expect(attack.code, attack.stderr).toBe(0);
    const attackerMac = attack.stdout.trim();
    expect(attackerMac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const after = (await victimArp()).get(victim.gw);
    expect(after).not.toBe(attackerMac);
    expect(after).toBe(before);
  }, 120_000);

  it("an IP packet with a spoofed source address does not reach another container; one from the sender's own address does", async () => {
    // The victim's MAC is given to the attacker, so its packets need no ARP (which the filter would stop first).
    const setup = `arp -i eth0 -s ${victim.ip} ${victim.mac}`;
    const start = await victimEchoes();
    const honest = await b.berth(["run", "--rm", "--network", net, "--cap-add", "NET_ADMIN", "busybox", "sh", "-c", `${setup} && ping -c 3 -W 2 ${victim.ip}`], { timeoutMs: 60_000 });
    expect(honest.code, honest.stderr).toBe(0);
    const afterHonest = await victimEchoes();
    expect(afterHonest - start).toBeGreaterThanOrEqual(3);

    const spoofed = victim.ip.replace(/\.\d+$/, ".200");
    const attack = await b.berth(["run", "--rm", "--network", net, "--cap-add", "NET_ADMIN", "busybox", "sh", "-c", `${setup} && ip addr add ${spoofed}/32 dev eth0 && (ping -c 3 -W 2 -I ${spoofed} ${victim.ip}; true)`], { timeoutMs: 60_000 });
    expect(attack.code, attack.stderr).toBe(0);
    expect(attack.stdout).toContain("3 packets transmitted");
    expect(await victimEchoes()).toBe(afterHonest);
  }, 120_000);
});
