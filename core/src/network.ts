import { z } from "zod";

// ---- Container options (`--network`, `--network-alias`, `-p`) ---------------------------------

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const Ipv4 = z.string().regex(IPV4, "an IPv4 address");
export const NetworkName = z.string().min(1).max(64).regex(NAME, "network names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");

/** One `-p [ip:][hostPort:]containerPort[/tcp|udp]`; hostPort 0 = a free port the host picks. */
export const PortMapping = z.object({
  hostIp: Ipv4.optional(),
  hostPort: z.number().int().min(0).max(65535),
  containerPort: z.number().int().min(1).max(65535),
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
});
export type PortMapping = z.infer<typeof PortMapping>;

/** A network a container joins at start, with its aliases there. */
export const ConfiguredNetwork = z.object({
  name: z.string().min(1).max(128),
  aliases: z.array(z.string().min(1).max(253)).max(64).default([]),
});
export type ConfiguredNetwork = z.infer<typeof ConfiguredNetwork>;

/**
 * One `--add-host host:ip` (compose `extra_hosts`): a line in the container's /etc/hosts. The
 * address "host-gateway" is the host as the container reaches it (its network's gateway), as
 * in Docker (`host.docker.internal:host-gateway`).
 */
export const ExtraHost = z.object({
  host: z.string().min(1).max(253).regex(/^[a-zA-Z0-9]([a-zA-Z0-9_.-]*[a-zA-Z0-9])?$/, "a host name"),
  ip: z.union([z.literal("host-gateway"), Ipv4, z.string().regex(/^[0-9a-fA-F:]+(%\w+)?$/, "an IPv6 address").refine((v) => v.includes(":"), "an IP address")]),
});
export type ExtraHost = z.infer<typeof ExtraHost>;

/** Docker's `--add-host` syntax (host:ip or host=ip; an IPv6 address after the first separator) → an ExtraHost; throws naming what is wrong. */
export function parseExtraHost(spec: string): ExtraHost {
  const m = /^([^:=]+)[:=](.+)$/.exec(spec.trim());
  const r = m ? ExtraHost.safeParse({ host: m[1]!.trim(), ip: m[2]!.trim().replace(/^\[(.*)\]$/, "$1") }) : undefined;
  if (!r?.success) throw new Error(`invalid argument "${spec}" for "--add-host": use HOST:IP (an IPv4 or IPv6 address, or host-gateway for the host)`);
  return r.data;
}

/** Merged into ContainerOptions (container-options.ts). */
export const NetworkOptionsShape = {
  /** `--network none|host|bridge|NAME`; Docker's default is the `bridge` network. */
  network: NetworkName.optional(),
  /** `--network-alias`: more names for the container on a user-defined network. */
  networkAliases: z.array(z.string().min(1).max(253).regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "an alias is a DNS name")).max(64).optional(),
  /** `-p` */
  publish: z.array(PortMapping).max(256).optional(),
  /** `-P`: every port the image EXPOSEs, on a free host port each */
  publishAll: z.boolean().optional(),
  /** `--add-host`: more lines in /etc/hosts. */
  extraHosts: z.array(ExtraHost).max(256).optional(),
  /**
   * Set once `network connect`/`disconnect` changed the container's networks: every network it
   * joins at its next start, in order (the first gives eth0 and the default route); replaces
   * `network`/`networkAliases` then. Empty: only lo.
   */
  networks: z.array(ConfiguredNetwork).max(64).optional(),
};

/** Docker's `-p` syntax → a PortMapping; throws a message naming what is wrong. */
export function parsePublish(spec: string): PortMapping {
  const bad = (why: string) => new Error(`invalid publish spec "${spec}": ${why} (use [ip:][hostPort:]containerPort[/tcp|udp])`);
  let rest = spec.trim();
  let protocol: "tcp" | "udp" = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== "tcp" && p !== "udp") throw bad(`unknown protocol "${p}"`);
    protocol = p;
    rest = rest.slice(0, slash);
  }
  const parts = rest.split(":");
  if (parts.length > 3) throw bad("too many ':'");
  const port = (s: string, what: string, allowZero: boolean) => {
    if (!/^\d{1,5}$/.test(s)) throw bad(`${what} "${s}" is not a port number`);
    const n = Number(s);
    if (n > 65535 || (n === 0 && !allowZero)) throw bad(`${what} ${n} is out of range`);
    return n;
  };
  const containerPort = port(parts[parts.length - 1]!, "container port", false);
  const hostPort = parts.length >= 2 && parts[parts.length - 2] !== "" ? port(parts[parts.length - 2]!, "host port", true) : 0;
  const hostIp = parts.length === 3 && parts[0] !== "" ? parts[0] : undefined;
  if (hostIp !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(hostIp)) throw bad(`"${hostIp}" is not an IPv4 address`);
  return { ...(hostIp ? { hostIp } : {}), hostPort, containerPort, protocol };
}

// ---- Jobs on the host queue (the worker owns bridges, addresses, rules and proxies) ----------

export const JOB_NETWORK = { network: "network" } as const;
const ContainerId = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * The team whose networks an operation sees: its own and the shared default bridge (another
 * team's are not found, as ones that do not exist). Names are unique within a team.
 */
const TeamId = z.string().min(1).max(64);

export const NetworkJob = z.discriminatedUnion("op", [
  z.object({
    op: z.literal("create"),
    teamId: TeamId,
    name: NetworkName,
    driver: z.literal("bridge").default("bridge"),
    subnet: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "a CIDR such as 10.30.0.0/24").optional(),
    gateway: Ipv4.optional(),
    labels: z.record(z.string(), z.string().max(4096)).default({}),
  }),
  z.object({ op: z.literal("list"), teamId: TeamId }),
  z.object({ op: z.literal("inspect"), teamId: TeamId, names: z.array(z.string().min(1).max(128)).min(1).max(100) }),
  z.object({ op: z.literal("remove"), teamId: TeamId, names: z.array(z.string().min(1).max(128)).min(1).max(100) }),
  z.object({ op: z.literal("prune"), teamId: TeamId }),
  z.object({ op: z.literal("connect"), teamId: TeamId, network: z.string().min(1).max(128), containerId: ContainerId, aliases: z.array(z.string().min(1).max(253)).max(64).default([]) }),
  z.object({ op: z.literal("disconnect"), teamId: TeamId, network: z.string().min(1).max(128), containerId: ContainerId, force: z.boolean().default(false) }),
  /**
   * The names running containers answer to on one network, set in one step (every peer's hosts
   * file rewritten once): a start-first replacement gives the new replica its service's names and
   * takes them from the old one together, so no lookup in between finds neither or both.
   */
  z.object({
    op: z.literal("aliases"),
    teamId: TeamId,
    network: z.string().min(1).max(128),
    set: z.array(z.object({ containerId: ContainerId, aliases: z.array(z.string().min(1).max(253)).max(64) })).min(1).max(100),
  }),
  /** Before a run is recorded: the network exists and the host ports are free (nothing is reserved). */
  z.object({ op: z.literal("check"), teamId: TeamId, network: z.string().min(1).max(128).optional(), publish: z.array(PortMapping).max(256).default([]) }),
  /** A container's NetworkSettings, for inspect. */
  z.object({ op: z.literal("settings"), containerId: ContainerId }),
]);
export type NetworkJob = z.input<typeof NetworkJob>;

/** `docker network inspect` shape (the fields Berth has). */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: "local";
  Driver: "bridge" | "host" | "null";
  EnableIPv6: false;
  IPAM: { Driver: "default"; Options: Record<string, string>; Config: { Subnet: string; Gateway: string }[] };
  Internal: false;
  Attachable: false;
  Ingress: false;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export interface EndpointSettings {
  IPAMConfig: null;
  Links: null;
  Aliases: string[] | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
}

/** `docker inspect`'s NetworkSettings (IPv4 only). */
export interface NetworkSettings {
  Bridge: string;
  SandboxID: string;
  Ports: Record<string, { HostIp: string; HostPort: string }[] | null>;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
  Networks: Record<string, EndpointSettings>;
}
