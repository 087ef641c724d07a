import fs from "node:fs/promises";
import { sh } from "./sh.js";

/**
 * iptables rules of one Berth instance: each carries `-m comment --comment berth-<hostId>`, so
 * exactly this instance's rules are found and removed (other instances and Docker keep theirs).
 */
export class Nat {
  constructor(private readonly hostId: string) {}

  get tag(): string {
    return `berth-${this.hostId}`;
  }

  /** In the order they end up in their chain (filter rules are inserted at the top, in reverse). */
  private rules(subnet: string, bridge: string): { table: string; chain: string; args: string[] }[] {
    const c = ["-m", "comment", "--comment", this.tag];
    return [
      // Egress: masquerade what leaves through another interface than the network's own bridge.
      { table: "nat", chain: "POSTROUTING", args: ["-s", subnet, "!", "-o", bridge, ...c, "-j", "MASQUERADE"] },
      // Docker's FORWARD policy is DROP. Within the network: allowed. To another Berth network
      // (any instance's bridge, bb…): dropped, as Docker isolates networks. Anywhere else, and
      // replies back in: allowed.
      { table: "filter", chain: "FORWARD", args: ["-i", bridge, "-o", bridge, ...c, "-j", "ACCEPT"] },
      { table: "filter", chain: "FORWARD", args: ["-i", bridge, "-o", "bb+", ...c, "-j", "DROP"] },
      { table: "filter", chain: "FORWARD", args: ["-i", bridge, ...c, "-j", "ACCEPT"] },
      { table: "filter", chain: "FORWARD", args: ["-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", ...c, "-j", "ACCEPT"] },
    ];
  }

  async enableForwarding(): Promise<void> {
    await fs.writeFile("/proc/sys/net/ipv4/ip_forward", "1");
  }

  async add(subnet: string, bridge: string): Promise<void> {
    const rules = this.rules(subnet, bridge);
    // One iptables-restore (--noflush: the tables keep every other rule) instead of one iptables per
    // rule: each run of the tool costs a process start and a read of the whole ruleset.
    const nat = rules.filter((x) => x.table === "nat").map((r) => ["-A", r.chain, ...r.args]);
    // Ahead of Docker's own FORWARD rules; inserted last-first so they keep their order.
    const filter = rules.filter((x) => x.table === "filter").reverse().map((r) => ["-I", r.chain, "1", ...r.args]);
    await sh("iptables-restore", ["-w", "--noflush"], `*nat\n${nat.map((l) => l.join(" ")).join("\n")}\nCOMMIT\n*filter\n${filter.map((l) => l.join(" ")).join("\n")}\nCOMMIT\n`);
  }

  async remove(subnet: string, bridge: string): Promise<void> {
    const rules = this.rules(subnet, bridge);
    const table = (t: string) => rules.filter((x) => x.table === t).map((r) => ["-D", r.chain, ...r.args].join(" ")).join("\n");
    // All at once; a rule already gone fails its whole batch, and then each goes on its own.
    const batch = await sh("iptables-restore", ["-w", "--noflush"], `*nat\n${table("nat")}\nCOMMIT\n*filter\n${table("filter")}\nCOMMIT\n`).then(
      () => true,
      () => false,
    );
    if (!batch) for (const r of rules) await sh("iptables", ["-w", "-t", r.table, "-D", r.chain, ...r.args]).catch(() => undefined);
  }

  /** A network's rules are all there (a start keeping it), else they are made again, in order. */
  async ensure(subnet: string, bridge: string): Promise<void> {
    for (const r of this.rules(subnet, bridge)) {
      if (await sh("iptables", ["-w", "-t", r.table, "-C", r.chain, ...r.args]).then(() => true, () => false)) continue;
      await this.remove(subnet, bridge);
      await this.add(subnet, bridge);
      return;
    }
  }

  /** Every rule of this instance, whatever network it was for (start-up and shutdown), but those of the bridges in `keep`. */
  async removeAll(keep: Set<string> = new Set()): Promise<void> {
    for (const table of ["nat", "filter"]) {
      const text = await sh("iptables", ["-w", "-t", table, "-S"]).catch(() => "");
      for (const line of text.split("\n")) {
        if (!line.startsWith("-A ") || !mentions(line, this.tag)) continue;
        const args = line.replace(/"/g, "").trim().split(/\s+/);
        if (args.some((a) => keep.has(a))) continue;
        args[0] = "-D";
        await sh("iptables", ["-w", "-t", table, ...args]).catch(() => undefined);
      }
    }
  }
}

function mentions(line: string, tag: string): boolean {
  return line.includes(`--comment ${tag} `) || line.includes(`--comment "${tag}"`) || line.endsWith(`--comment ${tag}`);
}
