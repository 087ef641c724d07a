import fs from "node:fs/promises";
import path from "node:path";
import type { ExtraHost } from "@berth/core";

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
 * keeps seeing the inode it was given, so a rename would go unseen.
 */
export async function writeInPlace(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
}

/** The host's /etc/hosts (for --network host), or the localhost lines where it has none. */
export async function hostHosts(): Promise<string> {
  return fs.readFile("/etc/hosts", "utf8").catch(() => hostsFile([]));
}
