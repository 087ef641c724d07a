/**
 * The host's networks at worker start-up and shutdown: what a previous worker left is kept for
 * the containers that ran on (their bridge, veths, rules and port proxies) and cleaned up
 * otherwise; the stored networks come back. Called under the service's lock.
 */
import { FailedPrecondition } from "@berth/core";
import { closePorts } from "./attachments.js";
import { createBridge, deleteLink, enslave, linkExists, linksWithPrefix } from "./bridge.js";
import { formatCidr, intToIp } from "./cidr.js";
import { makeInitLayer } from "./files.js";
import { claimSubnet, keepClaim, releaseAllSubnets } from "./ipam.js";
import { addNetwork, bringUp } from "./networks.js";
import { isProxyOf, proxiesOf, publish, stopProxy } from "./ports.js";
import { liveRecords } from "./restore.js";
import { DEFAULT_NETWORK, type Attached, type NetworkState } from "./state.js";
import type { NetworkRecord } from "./store.js";

/**
 * Start-up. The containers a crashed worker left running (their PID 1 alive: their shims keep
 * them, and the next worker adopts them) keep their network: bridge, veths, addresses, rules,
 * anti-spoofing entries, hosts files and port proxy. Whatever else a previous run of this
 * instance left goes; then the stored networks come back.
 */
export async function start(h: NetworkState): Promise<void> {
  await makeInitLayer(h.initLayer);
  await h.store.load();
  await adoptLegacy(h);
  const live = await liveRecords(await h.records.all(), h.store.networks);
  const kept = new Map(live.map((a) => [a.id, a]));
  for (const p of await proxiesOf(h.hostId)) if (kept.get(p.containerId)?.proxy !== p.pid) await stopProxy(p.pid, p.containerId);
  for (const a of await h.records.all()) if (!kept.has(a.id)) await h.records.remove(a.id);
  for (const n of h.store.networks) for (const id of Object.keys(n.endpoints)) if (!kept.get(id)?.networks.includes(n.id)) delete n.endpoints[id];
  const busy = h.store.networks.filter((n) => Object.keys(n.endpoints).length);
  const veths = new Set(busy.flatMap((n) => Object.values(n.endpoints).map((ep) => ep.hostIfname)));
  await cleanHost(h, { bridges: new Set(busy.map((n) => n.bridge)), veths });
  await h.nat.enableForwarding();
  await h.antiSpoof.install(busy.flatMap((n) => Object.values(n.endpoints)));
  const ports = h.options.controlPlanePorts ?? [];
  await h.guard.install(ports);
  if (ports.length) h.log.info({ ports }, "containers cannot reach these control-plane ports on this host");
  else h.log.warn("containers may reach Berth's control-plane ports on this host (BERTH_ALLOW_CONTAINER_CONTROL_PLANE)");
  for (const n of [...h.store.networks]) {
    if (busy.includes(n)) {
      await keepUp(h, n);
      continue;
    }
    try {
      await bringUp(h, n, n.subnet);
    } catch (e) {
      h.log.warn({ err: e, network: n.name }, "network could not keep its subnet; taking another");
      const c = await claimSubnet(h.hostId, n.bridge);
      n.subnet = formatCidr(c);
      n.gateway = intToIp(c.base + 1);
      await bringUp(h, n, n.subnet);
    }
  }
  if (!h.store.networks.some((n) => n.name === DEFAULT_NETWORK)) await addNetwork(h, DEFAULT_NETWORK, {}, true, null);
  await h.store.save();
  for (const a of live) {
    h.attached.set(a.id, a);
    await restoreProxy(h, a);
  }
  // Peers that died with the previous worker leave the kept containers' hosts files.
  for (const a of live) await h.writeHosts(a);
  if (live.length) h.log.info({ containers: live.map((a) => a.id.slice(0, 12)) }, "kept the network of containers that ran on after the previous worker");
}

/** A network with kept endpoints: its bridge (made again if it went, the kept veths back on it), subnet claim and rules stay. */
async function keepUp(h: NetworkState, n: NetworkRecord): Promise<void> {
  const c = await keepClaim(h.hostId, n.bridge, n.subnet);
  if (!(await linkExists(n.bridge))) {
    await createBridge(n.bridge, n.gateway, c.prefix);
    for (const ep of Object.values(n.endpoints)) await enslave(ep.hostIfname, n.bridge).catch((err: unknown) => h.log.warn({ err, veth: ep.hostIfname }, "could not put a kept veth back on its bridge"));
  }
  await h.nat.ensure(n.subnet, n.bridge);
}

/** A kept container whose port proxy is gone (killed meanwhile) gets one again, on the same host ports. */
async function restoreProxy(h: NetworkState, a: Attached): Promise<void> {
  if (!a.ports.length || (a.proxy !== undefined && (await isProxyOf(a.proxy, a.id)))) return;
  const n = h.store.networks.find((x) => x.id === a.networks[0]);
  const ip = n?.endpoints[a.id]?.ip;
  delete a.proxy;
  try {
    if (!ip) throw new FailedPrecondition(`container ${a.id.slice(0, 12)} has no address to relay its published ports to`);
    const proxy = await publish(a.ports, ip, { hostId: h.hostId, containerId: a.id }, h.proxyLog);
    a.proxy = proxy.pid;
    h.log.warn({ container: a.id.slice(0, 12) }, "the port proxy of an adopted container was gone: started it again");
  } catch (err) {
    h.log.error({ err, container: a.id.slice(0, 12) }, "the published ports of an adopted container could not be bound again");
    a.ports = [];
  }
  await h.records.save(a);
}

/** Networks stored before teams: the default bridge is shared, every other one goes to the first admin's team. */
async function adoptLegacy(h: NetworkState): Promise<void> {
  const legacy = h.store.networks.filter((n) => n.teamId === undefined);
  if (!legacy.length) return;
  const team = legacy.some((n) => !n.builtin) ? await h.options.legacyTeam?.() : undefined;
  for (const n of legacy) {
    if (n.builtin) n.teamId = null;
    else if (team) n.teamId = team;
    // No user yet: it stays unowned (seen by no team) and the next start tries again.
    else h.log.warn({ network: n.name }, "a network from before teams has no team to go to yet (no user)");
  }
  await h.store.save();
}

/**
 * Shutdown (a worker's own, or the launcher's clean-up after a worker that died): port proxies
 * ended, rules and bridges removed, claims given back (the networks stay stored).
 */
export async function stop(h: NetworkState): Promise<void> {
  for (const a of h.attached.values()) await closePorts(a);
  h.attached.clear();
  for (const p of await proxiesOf(h.hostId)) await stopProxy(p.pid, p.containerId);
  await h.records.clear();
  await h.guard.remove();
  await h.antiSpoof.remove();
  await cleanHost(h);
}

/** Removes this instance's NAT rules, links and claims, but `keep`'s bridges (their rules and claims) and veths. */
async function cleanHost(h: NetworkState, keep: { bridges: Set<string>; veths: Set<string> } = { bridges: new Set(), veths: new Set() }): Promise<void> {
  await h.nat.removeAll(keep.bridges);
  for (const l of await linksWithPrefix([`bb${h.tag}`, `vb${h.tag}`])) {
    if (keep.bridges.has(l) || keep.veths.has(l)) continue;
    await deleteLink(l).catch((err: unknown) => h.log.warn({ err, link: l }, "could not delete link"));
  }
  await releaseAllSubnets(h.hostId, keep.bridges);
}
