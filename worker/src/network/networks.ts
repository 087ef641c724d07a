/**
 * The network commands (`network create|ls|inspect|rm|prune`, `run`'s early check) and the
 * bridge, subnet claim and NAT rules each network has. Called under the service's lock.
 */
import { randomBytes } from "node:crypto";
import { AlreadyExists, FailedPrecondition, InvalidArgument, type NetworkInspect, type PortMapping } from "@berth/core";
import { createBridge, deleteLink } from "./bridge.js";
import { contains, formatCidr, intToIp, ipToInt, parseCidr } from "./cidr.js";
import { describeNetwork, pseudoNetwork } from "./describe.js";
import { claimSubnet, releaseSubnet } from "./ipam.js";
import { checkFree } from "./ports.js";
import type { NetworkState } from "./state.js";
import type { NetworkRecord } from "./store.js";

const PREDEFINED = new Set(["bridge", "host", "none"]);

export interface NetworkSpec {
  subnet?: string;
  gateway?: string;
  labels?: Record<string, string>;
}

/** A team's new network (the store is saved by the caller). */
export async function createNetwork(h: NetworkState, name: string, o: NetworkSpec, teamId: string): Promise<{ id: string }> {
  if (PREDEFINED.has(name) || h.visible(teamId).some((n) => n.name === name)) throw new AlreadyExists(`network with name ${name} already exists`);
  const n = await addNetwork(h, name, o, false, teamId);
  await h.store.save();
  return { id: n.id };
}

/** Claims a subnet, makes the bridge and its NAT rule, and stores the network (not yet saved); undone if any step fails. */
export async function addNetwork(h: NetworkState, name: string, o: NetworkSpec, builtin: boolean, teamId: string | null): Promise<NetworkRecord> {
  if (o.gateway && !o.subnet) throw new InvalidArgument("--gateway needs --subnet");
  const bridge = `bb${h.tag}${h.store.nextBridgeIndex().toString(36)}`;
  const c = await claimSubnet(h.hostId, bridge, o.subnet);
  const gateway = o.gateway ?? intToIp(c.base + 1);
  if (!contains(c, ipToInt(gateway)) || ipToInt(gateway) === c.base) {
    await releaseSubnet(c, h.hostId);
    throw new InvalidArgument(`invalid --gateway ${gateway}: not a host address of ${formatCidr(c)}`);
  }
  const n: NetworkRecord = {
    id: randomBytes(32).toString("hex"),
    name,
    driver: "bridge",
    subnet: formatCidr(c),
    gateway,
    bridge,
    created: new Date().toISOString(),
    labels: o.labels ?? {},
    builtin,
    teamId,
    endpoints: {},
  };
  try {
    await createBridge(bridge, gateway, c.prefix);
    await h.nat.add(n.subnet, bridge);
  } catch (e) {
    await h.nat.remove(n.subnet, bridge);
    await deleteLink(bridge).catch(() => undefined);
    await releaseSubnet(c, h.hostId);
    throw e;
  }
  h.store.add(n);
  h.log.info({ network: name, subnet: n.subnet, bridge }, "network created");
  return n;
}

/** A stored network's bridge and NAT rule, made again at start-up on `subnet`. */
export async function bringUp(h: NetworkState, n: NetworkRecord, subnet: string): Promise<void> {
  const c = await claimSubnet(h.hostId, n.bridge, subnet);
  try {
    await createBridge(n.bridge, n.gateway, c.prefix);
    await h.nat.add(formatCidr(c), n.bridge);
  } catch (e) {
    await deleteLink(n.bridge).catch(() => undefined);
    await releaseSubnet(c, h.hostId);
    throw e;
  }
}

export function listNetworks(h: NetworkState, teamId: string): NetworkInspect[] {
  return [...h.visible(teamId).map((n) => describeNetwork(n, teamId)), pseudoNetwork("host", h.hostId), pseudoNetwork("none", h.hostId)];
}

export function inspectNetworks(h: NetworkState, refs: string[], teamId: string): NetworkInspect[] {
  return refs.map((r) => {
    if (r === "host" || r === "none") return pseudoNetwork(r, h.hostId);
    return describeNetwork(h.find(r, teamId), teamId);
  });
}

/** The names removed (a network's name as given, id or name), in order; the first refusal stops. */
export async function removeNetworks(h: NetworkState, refs: string[], teamId: string): Promise<{ ref: string; id: string; name: string }[]> {
  const done: { ref: string; id: string; name: string }[] = [];
  for (const r of refs) {
    if (r === "host" || r === "none") throw new FailedPrecondition(`${r} is a pre-defined network and cannot be removed`);
    const n = h.find(r, teamId);
    if (n.builtin) throw new FailedPrecondition(`${n.name} is a pre-defined network and cannot be removed`);
    if (Object.keys(n.endpoints).length) throw new FailedPrecondition(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    await destroy(h, n);
    done.push({ ref: r, id: n.id, name: n.name });
  }
  return done;
}

/** The team's networks no container is on (the default bridge stays). */
export async function pruneNetworks(h: NetworkState, teamId: string): Promise<{ id: string; name: string }[]> {
  const gone: { id: string; name: string }[] = [];
  for (const n of h.visible(teamId)) {
    if (n.builtin || Object.keys(n.endpoints).length) continue;
    await destroy(h, n);
    gone.push({ id: n.id, name: n.name });
  }
  return gone;
}

async function destroy(h: NetworkState, n: NetworkRecord): Promise<void> {
  await h.nat.remove(n.subnet, n.bridge);
  await deleteLink(n.bridge);
  await releaseSubnet(parseCidr(n.subnet), h.hostId);
  h.store.delete(n.id);
  await h.store.save();
  h.log.info({ network: n.name }, "network removed");
}

/** `run`'s early check, before the container is recorded: the network exists, the host ports are free. */
export async function checkRun(h: NetworkState, network: string | undefined, ports: PortMapping[], teamId: string): Promise<void> {
  if (network === "host" || network === "none") return; // no proxies there: Docker discards -p
  if (network !== undefined) h.find(network, teamId);
  for (const p of ports) await checkFree(p);
}
