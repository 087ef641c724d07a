import fs from "node:fs/promises";
import path from "node:path";

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
  for (const e of entries) lines.push(`${e.ip}\t${[...new Set(e.names)].join(" ")}`);
  return lines.join("\n") + "\n";
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
