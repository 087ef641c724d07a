import { InvalidArgument } from "@berth/core";
import { sh } from "./sh.js";

/** What a container may send from on one of its interfaces: its veth's host end, its MAC and its IPv4 address. */
export interface Endpoint {
  hostIfname: string;
  mac: string;
  ip: string;
}

/**
 * Anti-spoofing on this instance's bridges (libvirt's "clean-traffic" idea, in an nftables
 * bridge table): a frame entering a bridge from a container's veth passes only when its source
 * MAC, and its sender IPv4 (IP header or ARP body), are that endpoint's own. Everything else
 * from a veth is dropped: other sources (ARP cache poisoning, spoofed IP sources) and other
 * protocols (IPv6, VLAN tags, raw ethertypes), since Berth's networks are IPv4 only.
 *
 * One table per instance, `bridge berth-<hostId>`; an endpoint is one element of its set, added
 * before the veth exists and deleted when the endpoint goes. A veth of this instance with no
 * element sends nothing.
 */
export class AntiSpoof {
  constructor(
    private readonly hostId: string,
    /** The prefix of this instance's veth host ends (`vb<tag>`). */
    private readonly vethPrefix: string,
  ) {}

  get table(): string {
    return `berth-${this.hostId}`;
  }

  /**
   * The table, made anew in one transaction with `endpoints` (those a start keeps) already in
   * its set: their containers' traffic never meets a table without them.
   */
  async install(endpoints: Endpoint[] = []): Promise<void> {
    const members = endpoints.map(member);
    // Priority -200: ahead of any other bridge filter (ebtables-nft's sit at -200 too, ours is
    // a separate table and a drop in any of them is final). `table` then `delete table`: made
    // if missing, so the delete never fails.
    await sh(
      "nft",
      ["-f", "-"],
      `table bridge ${this.table}
delete table bridge ${this.table}
table bridge ${this.table} {
  set endpoints { type ifname . ether_addr . ipv4_addr; }
  chain from_containers {
    type filter hook prerouting priority -200; policy accept;
    iifname != "${this.vethPrefix}*" accept
    ether type arp iifname . ether saddr . arp saddr ip @endpoints iifname . arp saddr ether . arp saddr ip @endpoints accept
    ether type ip iifname . ether saddr . ip saddr @endpoints accept
    counter drop
  }
}
${members.length ? `add element bridge ${this.table} endpoints { ${members.join(", ")} }\n` : ""}`,
    );
  }

  async allow(e: Endpoint): Promise<void> {
    await sh("nft", ["add", "element", "bridge", this.table, "endpoints", element(e)]);
  }

  /** The endpoint went (its veth with it, or about to). An element already gone (or its table) is not an error. */
  async revoke(e: Endpoint): Promise<void> {
    await sh("nft", ["delete", "element", "bridge", this.table, "endpoints", element(e)]).catch((err: Error) => {
      if (!/No such file or directory/.test(err.message)) throw err;
    });
  }

  /** The whole table (start-up, shutdown): nothing of this instance stays in the kernel. */
  async remove(): Promise<void> {
    const tables = await sh("nft", ["list", "tables", "bridge"]);
    if (tables.split("\n").some((l) => l.trim() === `table bridge ${this.table}`)) await sh("nft", ["delete", "table", "bridge", this.table]);
  }
}

function element(e: Endpoint): string {
  return `{ ${member(e)} }`;
}

function member(e: Endpoint): string {
  if (!/^[a-z0-9]{1,15}$/.test(e.hostIfname) || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(e.mac) || !/^\d{1,3}(\.\d{1,3}){3}$/.test(e.ip)) {
    throw new InvalidArgument(`anti-spoofing: malformed endpoint ${JSON.stringify(e)}`);
  }
  return `"${e.hostIfname}" . ${e.mac} . ${e.ip}`;
}
