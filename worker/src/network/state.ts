/**
 * What the network layer of one host holds while the worker runs, shared by its parts (start-up,
 * network commands, container attachments): the stored networks, the containers attached, the
 * rules' owners, and the lookups and hosts-file writes they all need. Callers hold the service's
 * lock (service.ts): nothing here serialises.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { homePaths, NotFound, type Logger } from "@berth/core";
import type { BindMount, NetworkMode } from "@berth/native";
import { AntiSpoof } from "./anti-spoof.js";
import { AttachmentRecords, type AttachmentRecord } from "./attachment-records.js";
import { ControlPlaneGuard } from "./control-plane.js";
import { extraHostEntries, hostsEntries, hostsFile, writeInPlace } from "./files.js";
import { Nat } from "./nat.js";
import { NetworkStore, type NetworkRecord } from "./store.js";

export const DEFAULT_NETWORK = "bridge";

/** A container as the network layer knows it while it has endpoints or ports (also on disk). */
export type Attached = AttachmentRecord;

export interface ContainerRef {
  id: string;
  name: string;
  /** The container's team: the networks it may join are that team's and the default bridge (none: only the bridge). */
  teamId?: string;
  /** The container's directory: hosts, hostname and resolv.conf are kept there. */
  dir: string;
}

export interface NetworkOptions {
  /**
   * Host TCP ports containers must not reach (web's, a local Redis'…; see controlPlanePorts).
   * Empty: the site admin allows it (BERTH_ALLOW_CONTAINER_CONTROL_PLANE=1).
   */
  controlPlanePorts?: number[];
  /** The team a network stored before teams goes to (the first admin's, as the teams migration did). */
  legacyTeam?: () => Promise<string | undefined>;
}

export interface Prepared {
  network: NetworkMode;
  binds: BindMount[];
  /**
   * Docker's "init layer": a read-only lower layer on top of the image's that holds empty
   * /etc/hosts, /etc/hostname and /etc/resolv.conf, so the bind mounts find their mount points
   * without writing them into the container's own layer (commit, diff and export stay clean).
   */
  initLayer: string;
}

/** 6 hex chars of the host id: keeps link names within 15 bytes and unique per instance. */
export function linkTag(hostId: string): string {
  return createHash("sha256").update(hostId).digest("hex").slice(0, 6);
}

export class NetworkState {
  readonly store: NetworkStore;
  readonly nat: Nat;
  readonly guard: ControlPlaneGuard;
  readonly antiSpoof: AntiSpoof;
  readonly tag: string;
  readonly attached = new Map<string, Attached>();
  readonly records: AttachmentRecords;
  readonly initLayer: string;
  /** The port proxies' log (their stderr), see native/src/port_proxy_log.h. */
  readonly proxyLog: string;

  constructor(
    home: string,
    readonly hostId: string,
    readonly log: Logger,
    readonly options: NetworkOptions,
  ) {
    this.store = new NetworkStore(path.join(home, "network", "networks.json"));
    this.initLayer = path.join(home, "network", "init-layer");
    this.records = new AttachmentRecords(path.join(home, "network", "attached"));
    this.proxyLog = homePaths(home).portProxyLog;
    this.nat = new Nat(hostId);
    this.tag = linkTag(hostId);
    this.guard = new ControlPlaneGuard(hostId, this.tag);
    this.antiSpoof = new AntiSpoof(hostId, `vb${this.tag}`);
  }

  /** What a team sees: its own networks and the shared default bridge (no team: only the bridge). */
  visible(teamId: string | undefined): NetworkRecord[] {
    return this.store.networks.filter((n) => n.builtin || (teamId !== undefined && n.teamId === teamId));
  }

  /** By name, full id or unique id prefix (Docker's rules), among the team's; another team's is not found, as a missing one. */
  find(ref: string, teamId: string | undefined): NetworkRecord {
    const seen = this.visible(teamId);
    const byName = seen.find((n) => n.name === ref);
    if (byName) return byName;
    const byId = seen.filter((n) => n.id.startsWith(ref));
    if (byId.length === 1) return byId[0]!;
    throw new NotFound(`network ${ref} not found`);
  }

  /** Rewrites the hosts file of every container on `n` (and so on every network they are on). */
  async refreshHosts(n: NetworkRecord, self?: Attached): Promise<void> {
    // Every endpoint change passes here: the store on disk keeps the addresses current, for the
    // edge (router), which reads them to reach a container's port (web/src/edge/routes.ts).
    await this.store.save();
    // No names on the default bridge: only the container itself needs its file (O(1) per start).
    if (n.builtin) return self ? this.writeHosts(self) : undefined;
    for (const id of Object.keys(n.endpoints)) {
      const a = this.attached.get(id);
      if (a) await this.writeHosts(a);
    }
  }

  async writeHosts(a: Attached): Promise<void> {
    // host-gateway: the host as this container reaches it, its first network's gateway (eth0's route).
    const first = this.store.networks.find((x) => x.id === a.networks[0]);
    await writeInPlace(path.join(a.dir, "hosts"), hostsFile([...extraHostEntries(a.extraHosts, first?.gateway ?? "127.0.0.1"), ...hostsEntries(a, this.store.networks)]));
  }
}
