import { AlreadyExists, ContainerOptions, FailedPrecondition, InvalidArgument, type ConfiguredNetwork, type NetworkInspect } from "@berth/core";
import type { Db } from "@berth/core/db";
import type { Services } from "../services.js";
import { configuredNetworks, rawOptions } from "./configured.js";
import { ALIAS_NEEDS_USER_NETWORK, networkJob } from "./jobs.js";

// `network connect` / `disconnect`: the stored list changes for every container (what its next
// start joins); a running one also gets or loses the interface now.

const names = (n: NetworkInspect, e: ConfiguredNetwork) => e.name === n.Name || e.name === n.Id || (e.name.length >= 1 && /^[0-9a-f]+$/.test(e.name) && n.Id.startsWith(e.name));

/** The network by name or id among the container's team's, with Docker's `network X not found`; host and none cannot be joined later. */
async function resolveNetwork(s: Services, c: Db.Container, ref: string): Promise<NetworkInspect> {
  const [n] = await networkJob<NetworkInspect[]>(s, { op: "inspect", teamId: c.teamId, names: [ref] }, c.hostId);
  if (!n) throw new FailedPrecondition(`network ${ref} not found`);
  return n;
}

function refuseSharedNamespace(opts: ContainerOptions, n: NetworkInspect): void {
  if (opts.network === "host" || n.Name === "host") throw new FailedPrecondition("container cannot be disconnected from host network or connected to host network");
  if (opts.network === "none" || n.Name === "none") throw new FailedPrecondition(`container cannot be connected to multiple networks with one of the networks in private (none) mode`);
}

async function save(s: Services, c: Db.Container, networks: ConfiguredNetwork[]): Promise<void> {
  await s.db.container.update({ where: { id: c.id }, data: { options: JSON.stringify({ ...rawOptions(c), networks }) } });
}

/**
 * `network connect`: checks the network and that the container is not on it yet, then (for a
 * running container) `live` adds the interface, and the list for the next start is saved.
 */
export async function connectConfigured(s: Services, c: Db.Container, ref: string, aliases: string[], live?: () => Promise<void>): Promise<NetworkInspect> {
  const opts = ContainerOptions.parse(rawOptions(c));
  const n = await resolveNetwork(s, c, ref);
  refuseSharedNamespace(opts, n);
  if (n.Name === "bridge" && aliases.length) throw new InvalidArgument(ALIAS_NEEDS_USER_NETWORK);
  const list = configuredNetworks(opts);
  if (list.some((e) => names(n, e))) throw new AlreadyExists(`endpoint with name ${c.name} already exists in network ${n.Name}`);
  if (live) await live();
  await save(s, c, [...list, { name: n.Name, aliases }]);
  return n;
}

/** `network disconnect`: the network leaves the list for the next start (and, running, `live` removes the interface). */
export async function disconnectConfigured(s: Services, c: Db.Container, ref: string, live?: () => Promise<void>): Promise<NetworkInspect> {
  const opts = ContainerOptions.parse(rawOptions(c));
  const n = await resolveNetwork(s, c, ref);
  if (opts.network === "host" || n.Name === "host") throw new FailedPrecondition("container cannot be disconnected from host network or connected to host network");
  const list = configuredNetworks(opts);
  const rest = list.filter((e) => !names(n, e));
  if (rest.length === list.length) throw new FailedPrecondition(`container ${c.id.slice(0, 12)} is not connected to network ${n.Name}`);
  if (live) await live();
  await save(s, c, rest);
  return n;
}

