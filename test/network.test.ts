import http from "node:http";
import net from "node:net";
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startInstance, type Instance } from "./harness.js";
import { makeOutsideWorld, type OutsideWorld } from "./outside-world.js";

// Real bridges, veth pairs, iptables rules and userland proxies of a whole Berth instance.
const rand = Math.random().toString(36).slice(2, 7);
const NET = `net-${rand}`;
let b: Instance;

// The test's own "outside world" (a namespace behind a veth pair; see outside-world.ts).
let outside: OutsideWorld;

beforeAll(async () => {
  outside = makeOutsideWorld("tnw");
  b = await startInstance();
}, 180_000);

afterAll(async () => {
  outside?.remove();
  // stop() also fails if a link or an iptables rule of the instance is left.
  if (b) await b.stop();
}, 120_000);

async function ok(args: string[], timeoutMs = 60_000) {
  const r = await b.berth(args, { timeoutMs });
  if (r.code !== 0) throw new Error(`berth ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function containerIds(): Promise<string[]> {
  return (await ok(["ps", "-a", "-q"])).split("\n").filter(Boolean);
}

/** GET http://host:port/path; undefined while nothing answers. */
function get(host: string, port: number, path = "/"): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve(res.statusCode === 200 ? body : undefined));
      res.on("error", () => resolve(undefined));
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
  });
}

async function poll<T>(fn: () => Promise<T | undefined>, ms = 60_000): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A shell loop in the container: retries while the server it talks to starts. */
const retry = (cmd: string) => `for i in $(seq 150); do ${cmd} && exit 0; sleep 0.2; done; exit 1`;

/** The host's first non-loopback IPv4 address on a physical-looking interface (eth0 here). */
function hostAddress(): string {
  const ifs = os.networkInterfaces();
  const pick = ifs.eth0 ?? Object.entries(ifs).find(([n]) => !/^(lo|docker|br-|bb|vb|veth|vn)/.test(n))?.[1];
  const a = pick?.find((x) => x.family === "IPv4" && !x.internal);
  if (!a) throw new Error(`no external IPv4 address on this host: ${JSON.stringify(Object.keys(ifs))}`);
  return a.address;
}

describe("user-defined networks", () => {
  it("creates, lists and inspects a network", async () => {
    const id = (await ok(["network", "create", NET])).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ls = await ok(["network", "ls"]);
    expect(ls).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE/);
    for (const n of [NET, "bridge", "host", "none"]) expect(ls).toMatch(new RegExp(`\\s${n}\\s`));
    const [info] = JSON.parse(await ok(["network", "inspect", NET])) as { Name: string; Id: string; Driver: string; IPAM: { Config: { Subnet: string; Gateway: string }[] } }[];
    expect(info!.Name).toBe(NET);
    expect(info!.Id).toBe(id);
    expect(info!.Driver).toBe("bridge");
    expect(info!.IPAM.Config[0]!.Subnet).toMatch(/^\d+\.\d+\.\d+\.0\/24$/);
    const again = await b.berth(["network", "create", NET]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`network with name ${NET} already exists`);
  });

  it("containers on it reach each other by name and by alias; inspect shows NetworkSettings", async () => {
    await ok(["run", "-d", "--name", "srv", "--network", NET, "--network-alias", "web", "busybox", "sh", "-c", "echo hi-from-srv > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]);
    const byName = await b.berth(["run", "--rm", "--network", NET, "busybox", "sh", "-c", retry("wget -q -O- http://srv/index.html")], { timeoutMs: 90_000 });
    expect(byName.stdout).toBe("hi-from-srv\n");
    expect(byName.code).toBe(0);
    const byAlias = await b.berth(["run", "--rm", "--network", NET, "busybox", "sh", "-c", retry("echo | nc web 80 >/dev/null && wget -q -O- http://web/index.html")], { timeoutMs: 90_000 });
    expect(byAlias.stdout).toBe("hi-from-srv\n");
    expect(byAlias.code).toBe(0);

    const [c] = JSON.parse(await ok(["inspect", "srv"])) as { NetworkSettings: { IPAddress: string; Gateway: string; MacAddress: string; Networks: Record<string, { IPAddress: string; Gateway: string; Aliases: string[]; NetworkID: string; MacAddress: string }> } }[];
    const [netInfo] = JSON.parse(await ok(["network", "inspect", NET])) as { Id: string; IPAM: { Config: { Gateway: string }[] }; Containers: Record<string, { Name: string; IPv4Address: string }> }[];
    const ep = c!.NetworkSettings.Networks[NET]!;
    expect(ep.NetworkID).toBe(netInfo!.Id);
    expect(ep.Gateway).toBe(netInfo!.IPAM.Config[0]!.Gateway);
    expect(ep.Aliases).toContain("web");
    expect(ep.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(ep.MacAddress).toMatch(/^02:42(:[0-9a-f]{2}){4}$/);
    expect(c!.NetworkSettings.IPAddress).toBe(ep.IPAddress);
    expect(Object.values(netInfo!.Containers).map((x) => x.Name)).toContain("srv");
  });

  it("refuses to remove a network in use, removes it once unused", async () => {
    const r = await b.berth(["network", "rm", NET]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("has active endpoints");
    await ok(["rm", "-f", "srv"]);
    // The endpoint goes once the container's exit is recorded.
    const gone = await poll(async () => ((await b.berth(["network", "rm", NET])).code === 0 ? true : undefined));
    expect(gone).toBe(true);
    expect(await ok(["network", "ls"])).not.toContain(NET);
  });

  it("connects a running container to a network with an alias, and disconnects it", async () => {
    const other = `${NET}-2`;
    await ok(["network", "create", other]);
    await ok(["run", "-d", "--name", "joiner", "busybox", "sh", "-c", "echo joined > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]);
    await ok(["network", "connect", "--alias", "late", other, "joiner"]);
    const r = await b.berth(["run", "--rm", "--network", other, "busybox", "sh", "-c", retry("wget -q -O- http://late/index.html")], { timeoutMs: 90_000 });
    expect(r.stdout).toBe("joined\n");
    await ok(["network", "disconnect", other, "joiner"]);
    const [c] = JSON.parse(await ok(["inspect", "joiner"])) as { NetworkSettings: { Networks: Record<string, unknown> } }[];
    expect(Object.keys(c!.NetworkSettings.Networks)).toEqual(["bridge"]);
    await ok(["rm", "-f", "joiner"]);
    await ok(["network", "rm", other]);
  });
});

describe("network connect/disconnect of a container that is not running", () => {
  it("a created container joins at its start every network it was connected to (eth0, eth1) before its command runs; disconnect while exited", async () => {
    const other = `${NET}-3`;
    await ok(["network", "create", other]);
    // The page is the interface list as the command found it when it began.
    await ok(["create", "--name", "idle", "busybox", "sh", "-c", "cat /proc/net/dev > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]);
    await ok(["network", "connect", "--alias", "later", other, "idle"]);
    type Inspected = { State: { Status: string }; NetworkSettings: { Networks: Record<string, { Aliases: string[] | null; IPAddress: string }> } }[];
    let [c] = JSON.parse(await ok(["inspect", "idle"])) as Inspected;
    expect(Object.keys(c!.NetworkSettings.Networks)).toEqual(["bridge", other]);
    expect(c!.NetworkSettings.Networks[other]!.Aliases).toEqual(["later"]);

    const twice = await b.berth(["network", "connect", other, "idle"]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`endpoint with name idle already exists in network ${other}`);
    const unknown = await b.berth(["network", "connect", `nosuch-${rand}`, "idle"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`network nosuch-${rand} not found`);

    await ok(["start", "idle"]);
    [c] = JSON.parse(await ok(["inspect", "idle"])) as Inspected;
    expect(c!.NetworkSettings.Networks[other]!.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const page = await b.berth(["run", "--rm", "--network", other, "busybox", "sh", "-c", retry("wget -q -O- http://later/index.html")], { timeoutMs: 90_000 });
    expect(page.code).toBe(0);
    expect(page.stdout).toMatch(/^\s*eth0:/m);
    expect(page.stdout).toMatch(/^\s*eth1:/m);

    await ok(["stop", "-t", "1", "idle"]);
    await ok(["network", "disconnect", "bridge", "idle"]);
    [c] = JSON.parse(await ok(["inspect", "idle"])) as Inspected;
    expect(c!.State.Status).toBe("exited");
    expect(Object.keys(c!.NetworkSettings.Networks)).toEqual([other]);
    const again = await b.berth(["network", "disconnect", "bridge", "idle"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("is not connected to network bridge");

    // Now only on `other`: eth0 there, nothing else.
    await ok(["start", "idle"]);
    const alone = await b.berth(["run", "--rm", "--network", other, "busybox", "sh", "-c", retry("wget -q -O- http://later/index.html")], { timeoutMs: 90_000 });
    expect(alone.code).toBe(0);
    expect(alone.stdout).toMatch(/^\s*eth0:/m);
    expect(alone.stdout).not.toMatch(/^\s*eth1:/m);
    await ok(["rm", "-f", "idle"]);
    const gone = await poll(async () => ((await b.berth(["network", "rm", other])).code === 0 ? true : undefined));
    expect(gone).toBe(true);
  });
});

describe("isolation between networks", () => {
  it("a container on one user network cannot reach one on another (Docker's isolation)", async () => {
    const [a, c] = [`${NET}-a`, `${NET}-b`];
    await ok(["network", "create", a]);
    await ok(["network", "create", c]);
    await ok(["run", "-d", "--name", "iso-srv", "--network", a, "busybox", "sh", "-c", "echo iso > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]);
    const [srv] = JSON.parse(await ok(["inspect", "iso-srv"])) as { NetworkSettings: { IPAddress: string } }[];
    const addr = srv!.NetworkSettings.IPAddress;
    // Reachable from its own network (so the server is up)...
    const same = await b.berth(["run", "--rm", "--network", a, "busybox", "sh", "-c", retry(`wget -q -O- http://${addr}/index.html`)], { timeoutMs: 90_000 });
    expect(same.stdout).toBe("iso\n");
    // ...and not from the other one.
    const other = await b.berth(["run", "--rm", "--network", c, "busybox", "wget", "-q", "-T", "3", "-O-", `http://${addr}/index.html`], { timeoutMs: 90_000 });
    expect(other.code).not.toBe(0);
    expect(other.stdout).toBe("");
    await ok(["rm", "-f", "iso-srv"]);
    expect(await poll(async () => ((await b.berth(["network", "rm", a, c])).code === 0 ? true : undefined))).toBe(true);
  });
});

describe("published ports", () => {
  it("answers from the host's loopback and from its other address", async () => {
    const port = await freePort();
    await ok(["run", "-d", "--name", "pub", "-p", `${port}:80`, "busybox", "sh", "-c", "echo published > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]);
    expect(await poll(() => get("127.0.0.1", port, "/index.html"))).toBe("published\n");
    expect(await poll(() => get(hostAddress(), port, "/index.html"))).toBe("published\n");
    const [c] = JSON.parse(await ok(["inspect", "pub"])) as { NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[]> } }[];
    expect(c!.NetworkSettings.Ports["80/tcp"]).toEqual([{ HostIp: "0.0.0.0", HostPort: String(port) }]);
    expect(await ok(["port", "pub"])).toBe(`80/tcp -> 0.0.0.0:${port}\n`);
    expect(await ok(["port", "pub", "80"])).toBe(`0.0.0.0:${port}\n`);
    expect(await poll(() => get("::1", port, "/index.html"))).toBe("published\n");
    await ok(["rm", "-f", "pub"]);
    // The proxy goes with the container.
    const closed = await poll(async () => ((await get("127.0.0.1", port)) === undefined ? true : undefined));
    expect(closed).toBe(true);
  });

  it("-P publishes what the image EXPOSEs on a free host port", async () => {
    await ok(["run", "--name", "to-expose", "busybox", "sh", "-c", "echo x > /x"]);
    await ok(["commit", "-c", "EXPOSE 80", "to-expose", "exposing:1"]);
    await ok(["rm", "to-expose"]);
    await ok(["run", "-d", "--name", "pub-all", "-P", "exposing:1", "sh", "-c", "echo all > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]);
    // run -d returns once the container is recorded; its ports are bound as it starts.
    const line = await poll(async () => {
      const r = await b.berth(["port", "pub-all", "80"]);
      return r.code === 0 ? r.stdout : undefined;
    });
    const port = Number(/^0\.0\.0\.0:(\d+)\n$/.exec(line ?? "")?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await poll(() => get("127.0.0.1", port, "/index.html"))).toBe("all\n");
    await ok(["rm", "-f", "pub-all"]);
  });

  it("a taken host port: 125, Docker's message, no container", async () => {
    const before = await containerIds();
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, "0.0.0.0", () => r()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const r = await b.berth(["run", "-p", `${port}:80`, "busybox", "true"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain(`Bind for 0.0.0.0:${port} failed: port is already allocated`);
      expect(await containerIds()).toEqual(before);
    } finally {
      holder.close();
    }
  });
});

describe("--network", () => {
  it("an unknown network: 125, a clear message, no container", async () => {
    const before = await containerIds();
    const r = await b.berth(["run", "--network", "no-such-net", "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("network no-such-net not found");
    expect(await containerIds()).toEqual(before);
  });

  it("an alias outside a user network: 125, Docker's message, no container", async () => {
    const before = await containerIds();
    for (const net of [[], ["--network", "bridge"], ["--network", "none"]]) {
      const r = await b.berth(["run", ...net, "--network-alias", "web", "busybox", "true"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain("network-scoped alias is supported only for containers in user defined networks");
    }
    expect(await containerIds()).toEqual(before);
    const created = await b.berth(["create", "busybox", "true"]);
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    const c = await b.berth(["network", "connect", "--alias", "web", "bridge", id]);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain("network-scoped alias is supported only for containers in user defined networks");
    expect((await b.berth(["rm", id])).code).toBe(0);
  });

  it("none has only lo", async () => {
    const out = await ok(["run", "--rm", "--network", "none", "busybox", "cat", "/proc/net/dev"]);
    const ifaces = out.split("\n").slice(2).filter(Boolean).map((l) => l.split(":")[0]!.trim());
    expect(ifaces).toEqual(["lo"]);
  });

  it("host sees the host's interfaces", async () => {
    const out = await ok(["run", "--rm", "--network", "host", "busybox", "cat", "/proc/net/dev"]);
    expect(out).toContain(`${outside.hostVeth}:`);
  });

  it("the default bridge: eth0, a default route, and outbound NAT to another namespace (masqueraded source)", async () => {
    // The listener in the test's namespace answers with the source address it sees.
    await outside.listen(7777);
    const r = await b.berth(["run", "--rm", "busybox", "sh", "-c", `ip route | grep '^default via' >&2; ${retry(`nc ${outside.peerAddress} 7777 </dev/null`)}`], { timeoutMs: 90_000 });
    expect(r.stderr).toMatch(/default via \S+ dev eth0/);
    expect(r.stdout).toBe(`${outside.hostAddress}\n`);
    expect(r.code).toBe(0);
  });
});
