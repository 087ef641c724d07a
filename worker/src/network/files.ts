import fs from "node:fs/promises";
import path from "node:path";
import type { ExtraHost } from "@berth/core";
import type { AttachmentRecord } from "./attachment-records.js";
import type { NetworkRecord } from "./store.js";

export interface HostsEntry {
  ip: string;
  names: string[];
}

/** /etc/resolv.conf for a container: the host's, without loopback nameservers (unreachable from a netns). */
export async function resolvConf(hostNetwork: boolean): Promise<string> {
  const host = await fs.readFile("/etc/resolv.conf", "utf8").catch(() => "");
  if (hostNetwork) return host;
  const lines = host.split("\n").filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l));
  return lines.join("\n").trimEnd() + "\n";
}

export function hostsFile(entries: HostsEntry[]): string {
  const lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet", "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters"];
  return lines.join("\n") + "\n" + hostsLines(entries);
}

export function hostsLines(entries: HostsEntry[]): string {
  return entries.map((e) => `${e.ip}\t${[...new Set(e.names)].join(" ")}\n`).join("");
}

/** `--add-host` lines as entries (after localhost, before the container's own names, as Docker writes them); host-gateway is `gateway`. */
export function extraHostEntries(extra: ExtraHost[] | undefined, gateway: string): HostsEntry[] {
  return (extra ?? []).map((h) => ({ ip: h.ip === "host-gateway" ? gateway : h.ip, names: [h.host] }));
}

/**
 * Written in place (same inode): the file is bind-mounted into the running container, which
 * keeps seeing the inode it was given, so a rename would go unseen. Never truncated first: a
 * lookup in the container while the file is empty finds no name (during a deploy every start on
 * the network rewrites every peer's hosts file, and a service resolving a peer per request then
 * fails). The file is padded with newlines to the longer of both lengths, overwritten in one
 * write, and only then cut to the new length, so a reader sees the old lines, the new ones, or
 * the new ones followed by blank lines.
 */
export async function writeInPlace(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const fh = await fs.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  try {
    const body = Buffer.from(text);
    const { size } = await fh.stat();
    if (body.length > size) await fh.write(Buffer.alloc(body.length - size, "\n"), 0, body.length - size, size);
    const full = body.length < size ? Buffer.concat([body, Buffer.alloc(size - body.length, "\n")]) : body;
    for (let at = 0; at < full.length; ) at += (await fh.write(full, at, full.length - at, at)).bytesWritten;
    if (body.length < size) await fh.truncate(body.length);
  } finally {
    await fh.close();
  }
}

/** The host's /etc/hosts (for --network host), or the localhost lines where it has none. */
export async function hostHosts(): Promise<string> {
  return fs.readFile("/etc/hosts", "utf8").catch(() => hostsFile([]));
}

/**
 * Docker's "init layer": empty /etc/hosts, /etc/hostname and /etc/resolv.conf, the mount points
 * of the container's own files (see Prepared.initLayer).
 */
export async function makeInitLayer(dir: string): Promise<void> {
  await fs.mkdir(path.join(dir, "etc"), { recursive: true, mode: 0o755 });
  for (const f of ["hosts", "hostname", "resolv.conf"]) await fs.writeFile(path.join(dir, "etc", f), "", { mode: 0o644 });
}

/** A container's hosts entries: itself on each network, then its peers on the user-defined ones. */
export function hostsEntries(a: Pick<AttachmentRecord, "id" | "name" | "networks">, networks: NetworkRecord[]): HostsEntry[] {
  const entries: HostsEntry[] = [];
  const peers: HostsEntry[] = [];
  for (const nid of a.networks) {
    const n = networks.find((x) => x.id === nid);
    const own = n?.endpoints[a.id];
    if (!n || !own) continue;
    entries.push({ ip: own.ip, names: n.builtin ? [a.id.slice(0, 12)] : [a.id.slice(0, 12), a.name, ...own.aliases] });
    // Docker resolves names only on user-defined networks, not on the default bridge.
    if (n.builtin) continue;
    for (const ep of Object.values(n.endpoints)) {
      if (ep.containerId !== a.id) peers.push({ ip: ep.ip, names: [ep.containerName, ...ep.aliases, ep.containerId.slice(0, 12)] });
    }
  }
  return [...entries, ...peers];
}
