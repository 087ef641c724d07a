/**
 * Containers on networks: a container's endpoints (address, MAC, veth), its hosts, hostname and
 * resolv.conf, its published ports (port proxy), and `network connect|disconnect` while it runs.
 * Called under the service's lock.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { AlreadyExists, FailedPrecondition, NotFound, type ExtraHost, type NetworkSettings, type PortMapping } from "@berth/core";
import { attachNetwork, detachNetwork, type BindMount } from "@berth/native";
import { parseCidr } from "./cidr.js";
import { containerSettings, macFor } from "./describe.js";
import { extraHostEntries, hostHosts, hostsFile, hostsLines, resolvConf, writeInPlace } from "./files.js";
import { allocateAddress } from "./ipam.js";
import { exposedPorts, publish, stopProxy } from "./ports.js";
import { DEFAULT_NETWORK, type Attached, type ContainerRef, type NetworkState, type Prepared } from "./state.js";
import type { EndpointRecord, NetworkRecord } from "./store.js";

export interface PrepareOptions {
  network?: string;
  aliases?: string[];
  networks?: { name: string; aliases: string[] }[];
  publish?: PortMapping[];
  exposed?: string[];
  extraHosts?: ExtraHost[];
}

/**
 * Before a container starts: its endpoint (address, MAC, veth names), its hosts, hostname and
 * resolv.conf, and its published ports bound. Undone entirely when anything fails.
 */
export async function prepare(h: NetworkState, c: ContainerRef, o: PrepareOptions): Promise<Prepared> {
  const mode = o.network === "host" ? "host" : o.network === "none" ? "none" : "bridge";
  const a: Attached = { id: c.id, name: c.name, ...(c.teamId ? { teamId: c.teamId } : {}), dir: c.dir, mode, networks: [], ports: [], nextIf: 0, ...(o.extraHosts?.length ? { extraHosts: o.extraHosts } : {}) };
  const hostname = c.id.slice(0, 12);
  const binds: BindMount[] = [
    { source: path.join(c.dir, "hosts"), destination: "/etc/hosts" },
    { source: path.join(c.dir, "hostname"), destination: "/etc/hostname" },
    { source: path.join(c.dir, "resolv.conf"), destination: "/etc/resolv.conf" },
  ];
  await writeInPlace(binds[1]!.source, hostname + "\n");
  await writeInPlace(binds[2]!.source, await resolvConf(mode === "host"));
  if (mode !== "bridge") {
    // --network host shares the host's names, as Docker does; none knows only localhost.
    // There the host is this machine itself: host-gateway is loopback.
    const extra = hostsLines(extraHostEntries(o.extraHosts, "127.0.0.1"));
    await writeInPlace(binds[0]!.source, mode === "host" ? (await hostHosts()).replace(/\n*$/, "\n") + extra : hostsFile(extraHostEntries(o.extraHosts, "127.0.0.1")));
    return { network: { mode }, binds, initLayer: h.initLayer };
  }
  // `network connect`/`disconnect` on a stopped container leave the full list in `networks`.
  const wanted = o.networks ?? [{ name: o.network ?? DEFAULT_NETWORK, aliases: o.aliases ?? [] }];
  const nets = wanted.map((w) => ({ n: h.find(w.name, c.teamId), aliases: w.aliases }));
  h.attached.set(c.id, a);
  const eps: { n: NetworkRecord; ep: EndpointRecord }[] = [];
  try {
    for (const { n, aliases } of nets) {
      const ep = addEndpoint(h, n, a, n.builtin ? [] : aliases);
      eps.push({ n, ep });
      await h.antiSpoof.allow(ep);
    }
    await h.records.save(a); // before the proxy: a crash from here on leaves nothing unknown
    const ip = eps[0]?.ep.ip;
    const mappings = [...(o.publish ?? []), ...exposedPorts(o.exposed ?? [], o.publish ?? [])];
    if (ip && mappings.length) {
      const proxy = await publish(mappings, ip, { hostId: h.hostId, containerId: a.id }, h.proxyLog);
      a.ports = proxy.ports;
      a.proxy = proxy.pid;
      await h.records.save(a);
    }
    if (!eps.length) await h.writeHosts(a);
    for (const { n } of eps) await h.refreshHosts(n, a);
  } catch (e) {
    await release(h, c.id);
    throw e;
  }
  // Disconnected from every network: its own namespace with only lo (connect can add more).
  if (!eps.length) return { network: { mode: "none" }, binds, initLayer: h.initLayer };
  const veth = ({ n, ep }: { n: NetworkRecord; ep: EndpointRecord }) => ({ bridge: n.bridge, hostIfname: ep.hostIfname, ifname: ep.ifname, mac: ep.mac, address: ep.ip, prefixLength: parseCidr(n.subnet).prefix });
  const [first, ...rest] = eps;
  return {
    // All veths are added before the command runs (the runtime holds it until they are up).
    network: { mode: "bridge", ...veth(first!), gateway: first!.n.gateway, ...(rest.length ? { extra: rest.map(veth) } : {}) },
    binds,
    initLayer: h.initLayer,
  };
}

function addEndpoint(h: NetworkState, n: NetworkRecord, a: Attached, aliases: string[]): EndpointRecord {
  if (n.endpoints[a.id]) throw new AlreadyExists(`endpoint with name ${a.name} already exists in network ${n.name}`);
  const ip = allocateAddress(parseCidr(n.subnet), n.gateway, Object.values(n.endpoints).map((e) => e.ip));
  const ep: EndpointRecord = {
    containerId: a.id,
    containerName: a.name,
    ...(a.teamId ? { teamId: a.teamId } : {}),
    endpointId: randomBytes(32).toString("hex"),
    ip,
    mac: macFor(ip),
    aliases,
    hostIfname: `vb${h.tag}${h.store.nextVethIndex().toString(36)}`,
    ifname: `eth${a.nextIf++}`,
  };
  n.endpoints[a.id] = ep;
  a.networks.push(n.id);
  return ep;
}

/** The endpoint's anti-spoofing entry goes; a failure is logged, so the rest of a release still happens. */
async function revoke(h: NetworkState, ep: EndpointRecord): Promise<void> {
  await h.antiSpoof.revoke(ep).catch((err: unknown) => h.log.warn({ err, veth: ep.hostIfname }, "could not remove the endpoint's anti-spoofing entry"));
}

/** The container runs: its pid, for connect/disconnect, and for the next worker to tell whether it still runs. */
export async function started(h: NetworkState, id: string, pid: number): Promise<void> {
  const a = h.attached.get(id);
  if (!a || a.pid === pid) return;
  a.pid = pid;
  await h.records.save(a);
}

/** The container ended (or never started): endpoints, ports and peers' hosts entries go. */
export async function release(h: NetworkState, id: string): Promise<void> {
  const a = h.attached.get(id);
  h.attached.delete(id);
  if (a) await closePorts(a);
  await h.records.remove(id);
  const touched: NetworkRecord[] = [];
  for (const n of h.store.networks) {
    const ep = n.endpoints[id];
    if (!ep) continue;
    await revoke(h, ep);
    delete n.endpoints[id];
    touched.push(n);
  }
  if (!touched.length) return;
  for (const n of touched) await h.refreshHosts(n);
}

export async function connect(h: NetworkState, ref: string, id: string, aliases: string[], teamId: string): Promise<void> {
  const a = h.attached.get(id);
  // Only the team's own containers: another team's running one is as unknown as a stopped one.
  if (a && a.teamId !== undefined && a.teamId !== teamId) throw new NotFound(`No such container: ${id}`);
  if (!a?.pid) throw new FailedPrecondition(`container ${id.slice(0, 12)} is not running: connect works on running containers`);
  if (a.mode !== "bridge") throw new FailedPrecondition(`container sharing network namespace with ${a.mode === "host" ? "the host" : "no network"} cannot be connected to a network`);
  const n = h.find(ref, teamId);
  const ep = addEndpoint(h, n, a, n.builtin ? [] : aliases);
  try {
    await h.antiSpoof.allow(ep);
    await attachNetwork(a.pid, { bridge: n.bridge, hostIfname: ep.hostIfname, ifname: ep.ifname, mac: ep.mac, address: ep.ip, prefixLength: parseCidr(n.subnet).prefix });
  } catch (e) {
    await revoke(h, ep);
    delete n.endpoints[id];
    a.networks = a.networks.filter((x) => x !== n.id);
    throw e;
  }
  await h.records.save(a);
  await h.refreshHosts(n, a);
}

/** Sets the aliases of the team's running containers on network `ref`, then rewrites the hosts files once. */
export async function setAliases(h: NetworkState, ref: string, set: { containerId: string; aliases: string[] }[], teamId: string): Promise<void> {
  const n = h.find(ref, teamId);
  for (const e of set) {
    const a = h.attached.get(e.containerId);
    if (a && a.teamId !== undefined && a.teamId !== teamId) throw new NotFound(`No such container: ${e.containerId}`);
    if (!a || !n.endpoints[e.containerId]) throw new FailedPrecondition(`container ${e.containerId.slice(0, 12)} is not connected to network ${n.name}: only a running container's aliases change`);
  }
  for (const e of set) n.endpoints[e.containerId]!.aliases = n.builtin ? [] : [...new Set(e.aliases)];
  await h.refreshHosts(n);
}

export async function disconnect(h: NetworkState, ref: string, id: string, teamId: string): Promise<void> {
  const n = h.find(ref, teamId);
  const ep = n.endpoints[id];
  const a = h.attached.get(id);
  if (a && a.teamId !== undefined && a.teamId !== teamId) throw new NotFound(`No such container: ${id}`);
  if (!ep || !a) throw new FailedPrecondition(`container ${id.slice(0, 12)} is not connected to network ${n.name}`);
  if (a.pid) await detachNetwork(a.pid, ep.ifname).catch((err: unknown) => h.log.warn({ err }, "detaching the interface failed"));
  await revoke(h, ep);
  delete n.endpoints[id];
  a.networks = a.networks.filter((x) => x !== n.id);
  await h.records.save(a);
  await h.refreshHosts(n);
  await h.writeHosts(a);
}

/** `inspect`'s NetworkSettings of a container (empty when it has no endpoint now). */
export function settings(h: NetworkState, id: string): NetworkSettings {
  return containerSettings(h.attached.get(id), h.store.networks);
}

/** Ends a container's port proxy; its ports are no longer its. */
export async function closePorts(a: Attached): Promise<void> {
  if (a.proxy !== undefined) await stopProxy(a.proxy, a.id);
  delete a.proxy;
  a.ports = [];
}
