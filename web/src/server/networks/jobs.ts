import { ContainerOptions, InvalidArgument, JOB_NETWORK, NotFound, type NetworkInspect, type NetworkJob, type NetworkSettings } from "@berth/core";
import type { Db } from "@berth/core/db";
import type { Services } from "../services.js";
import { imageHost, runHostJob } from "../images/jobs.js";
import { configuredSettings } from "./configured.js";

/** Docker's answer to an alias on the default bridge, host or none: names resolve on user networks only. */
export const ALIAS_NEEDS_USER_NETWORK = "network-scoped alias is supported only for containers in user defined networks";

/** A network operation, on the given host or (single-host mode) the online one. */
export async function networkJob<T>(s: Services, payload: NetworkJob, hostId?: string): Promise<T> {
  return runHostJob<T>(s, JOB_NETWORK.network, payload, { hostId: hostId ?? (await imageHost(s)), timeoutMs: 60_000 });
}

/** How many networks of its own a team has (the default bridge, host and none are no one's). */
export async function teamNetworkCount(s: Services, teamId: string): Promise<number> {
  const list = await networkJob<NetworkInspect[]>(s, { op: "list", teamId });
  return list.filter((n) => !["bridge", "host", "none"].includes(n.Name)).length;
}

/**
 * Before `run` records a container: an unknown network (another team's included) or a taken host
 * port is the caller's error (125, Docker's message) and leaves nothing behind. The default
 * network needs no trip.
 */
export async function checkRunNetwork(s: Services, hostId: string, teamId: string, options: ContainerOptions | undefined): Promise<void> {
  const network = options?.network;
  const publish = options?.publish ?? [];
  const custom = network !== undefined && network !== "bridge" && network !== "host" && network !== "none";
  if (!custom && options?.networkAliases?.length) throw new InvalidArgument(ALIAS_NEEDS_USER_NETWORK);
  if (!custom && !publish.some((p) => p.hostPort !== 0)) return;
  await networkJob(s, { op: "check", teamId, ...(network ? { network } : {}), publish }, hostId);
}

/** `inspect`'s NetworkSettings and the HostConfig fields about networking. */
export async function containerNetworkInspect(s: Services, c: Db.Container): Promise<{ NetworkSettings: NetworkSettings; NetworkMode: string; PortBindings: Record<string, { HostIp: string; HostPort: string }[]> }> {
  const opts = ContainerOptions.parse(JSON.parse(c.options || "{}"));
  const PortBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of opts.publish ?? []) (PortBindings[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp ?? "", HostPort: p.hostPort ? String(p.hostPort) : "" });
  let NetworkSettings: NetworkSettings = { Bridge: "", SandboxID: "", Ports: {}, Gateway: "", IPAddress: "", IPPrefixLen: 0, MacAddress: "", Networks: {} };
  if (c.state === "running") {
    try {
      NetworkSettings = await networkJob<NetworkSettings>(s, { op: "settings", containerId: c.id }, c.hostId);
    } catch (err) {
      if (!(err instanceof NotFound)) s.log.warn({ err: (err as Error).message, id: c.id }, "inspect: could not read the network settings");
    }
  } else NetworkSettings.Networks = configuredSettings(opts);
  return { NetworkSettings, NetworkMode: opts.network ?? "bridge", PortBindings };
}

/** Adds the network parts to `inspect`'s JSON: NetworkSettings, HostConfig.NetworkMode/PortBindings. */
export function withNetwork(inspect: Record<string, unknown>, net: Awaited<ReturnType<typeof containerNetworkInspect>>): Record<string, unknown> {
  const host = (inspect.HostConfig ?? {}) as Record<string, unknown>;
  return { ...inspect, HostConfig: { ...host, NetworkMode: net.NetworkMode, PortBindings: net.PortBindings }, NetworkSettings: net.NetworkSettings };
}
