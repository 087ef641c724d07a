import { createHash } from "node:crypto";
import type { EndpointSettings, NetworkInspect, NetworkSettings } from "@berth/core";
import type { AttachmentRecord } from "./attachment-records.js";
import { parseCidr } from "./cidr.js";
import type { EndpointRecord, NetworkRecord } from "./store.js";

// Docker's JSON shapes for `network inspect` and a container's NetworkSettings.Networks.

/** As team `teamId` sees it: on the shared default bridge, only that team's containers. */
export function describeNetwork(n: NetworkRecord, teamId?: string): NetworkInspect {
  const containers: NetworkInspect["Containers"] = {};
  const prefix = parseCidr(n.subnet).prefix;
  for (const ep of Object.values(n.endpoints)) {
    if (n.builtin && ep.teamId !== teamId) continue;
    containers[ep.containerId] = { Name: ep.containerName, EndpointID: ep.endpointId, MacAddress: ep.mac, IPv4Address: `${ep.ip}/${prefix}`, IPv6Address: "" };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: "local",
    Driver: "bridge",
    EnableIPv6: false,
    IPAM: { Driver: "default", Options: {}, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    Containers: containers,
    Options: { "com.docker.network.bridge.name": n.bridge },
    Labels: n.labels,
  };
}

export function pseudoNetwork(name: "host" | "none", hostId: string): NetworkInspect {
  return {
    Name: name,
    Id: createHash("sha256").update(`${hostId}/${name}`).digest("hex"),
    Created: new Date(0).toISOString(),
    Scope: "local",
    Driver: name === "host" ? "host" : "null",
    EnableIPv6: false,
    IPAM: { Driver: "default", Options: {}, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

export function endpointSettings(n: NetworkRecord | undefined, ep: EndpointRecord | undefined): EndpointSettings {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: ep && n && !n.builtin ? [ep.containerName, ...ep.aliases, ep.containerId.slice(0, 12)] : null,
    NetworkID: n?.id ?? "",
    EndpointID: ep?.endpointId ?? "",
    Gateway: n?.gateway ?? "",
    IPAddress: ep?.ip ?? "",
    IPPrefixLen: n ? parseCidr(n.subnet).prefix : 0,
    MacAddress: ep?.mac ?? "",
  };
}

/** Docker's scheme: 02:42 then the four address bytes (unique on the network by construction). */
export function macFor(ip: string): string {
  return ["02", "42", ...ip.split(".").map((b) => Number(b).toString(16).padStart(2, "0"))].join(":");
}

/** `inspect`'s NetworkSettings of a container (empty when it has no endpoint now). */
export function containerSettings(a: AttachmentRecord | undefined, networks: NetworkRecord[]): NetworkSettings {
  const out: NetworkSettings = { Bridge: "", SandboxID: "", Ports: {}, Gateway: "", IPAddress: "", IPPrefixLen: 0, MacAddress: "", Networks: {} };
  if (!a) return out;
  for (const p of a.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    (out.Ports[key] ??= []).push({ HostIp: p.hostIp ?? "0.0.0.0", HostPort: String(p.hostPort) });
  }
  if (a.mode !== "bridge") {
    out.Networks[a.mode] = endpointSettings(undefined, undefined);
    return out;
  }
  for (const nid of a.networks) {
    const n = networks.find((x) => x.id === nid);
    const ep = n?.endpoints[a.id];
    if (n && ep) out.Networks[n.name] = endpointSettings(n, ep);
  }
  const first = Object.values(out.Networks)[0];
  if (first) {
    out.Gateway = first.Gateway;
    out.IPAddress = first.IPAddress;
    out.IPPrefixLen = first.IPPrefixLen;
    out.MacAddress = first.MacAddress;
  }
  return out;
}
