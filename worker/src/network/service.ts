import type { Logger, NetworkInspect, NetworkSettings, PortMapping } from "@berth/core";
import * as attachments from "./attachments.js";
import * as networks from "./networks.js";
import * as startup from "./startup.js";
import { NetworkState, type ContainerRef, type NetworkOptions, type Prepared } from "./state.js";

export { DEFAULT_NETWORK, linkTag, type ContainerRef, type NetworkOptions, type Prepared } from "./state.js";

/**
 * The networks of this host: bridges, addresses, NAT rules, published ports and the hosts files
 * that give containers on a user-defined network each other's names. Host-global names carry
 * the instance: links `bb<tag>…`/`vb<tag>…` (tag = 6 hex of the host id), iptables comments
 * `berth-<hostId>`, the iptables chain `BERTH-IN-<tag>`, the nftables table `bridge berth-<hostId>`,
 * subnet claims owned by the host id.
 *
 * This is the facade: one operation at a time (allocation and the hosts files stay consistent),
 * each done by its part: start-up and shutdown (startup.ts), network commands (networks.ts),
 * containers' endpoints and ports (attachments.ts), over the state they share (state.ts).
 */
export class NetworkService {
  private readonly h: NetworkState;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(home: string, hostId: string, log: Logger, options: NetworkOptions = {}) {
    this.h = new NetworkState(home, hostId, log, options);
  }

  get tag(): string {
    return this.h.tag;
  }

  /** One operation at a time: allocation and the hosts files stay consistent. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  // ---- start-up and shutdown -------------------------------------------------------------------

  /** Start-up: see startup.ts start (containers a crashed worker left running keep their network). */
  init(): Promise<void> {
    return this.serial(() => startup.start(this.h));
  }

  /** Whether the network of a container the previous worker left running was kept (adoption needs it). */
  kept(id: string): boolean {
    return this.h.attached.has(id);
  }

  /** After adoption: a kept container that was not adopted (ended meanwhile, or refused) lets its network go. */
  async settle(adopted: Set<string>): Promise<void> {
    for (const id of [...this.h.attached.keys()]) if (!adopted.has(id)) await this.release(id);
  }

  /** Shutdown: port proxies ended, rules and bridges removed, claims given back (the networks stay stored). */
  shutdown(): Promise<void> {
    return this.serial(() => startup.stop(this.h));
  }

  // ---- network commands ----------------------------------------------------------------------

  create(name: string, o: networks.NetworkSpec, teamId: string): Promise<{ id: string }> {
    return this.serial(() => networks.createNetwork(this.h, name, o, teamId));
  }

  list(teamId: string): NetworkInspect[] {
    return networks.listNetworks(this.h, teamId);
  }

  inspect(refs: string[], teamId: string): NetworkInspect[] {
    return networks.inspectNetworks(this.h, refs, teamId);
  }

  /** The names removed (a network's name as given, id or name), in order; the first refusal stops. */
  remove(refs: string[], teamId: string): Promise<{ ref: string; id: string; name: string }[]> {
    return this.serial(() => networks.removeNetworks(this.h, refs, teamId));
  }

  /** The team's networks no container is on (the default bridge stays). */
  prune(teamId: string): Promise<{ id: string; name: string }[]> {
    return this.serial(() => networks.pruneNetworks(this.h, teamId));
  }

  /** `run`'s early check, before the container is recorded: the network exists, the host ports are free. */
  check(network: string | undefined, ports: PortMapping[], teamId: string): Promise<void> {
    return networks.checkRun(this.h, network, ports, teamId);
  }

  // ---- containers -----------------------------------------------------------------------------

  /** Before a container starts: its endpoints, names files and published ports; undone entirely when anything fails. */
  prepare(c: ContainerRef, o: attachments.PrepareOptions): Promise<Prepared> {
    return this.serial(() => attachments.prepare(this.h, c, o));
  }

  /** The container runs: its pid, for connect/disconnect, and for the next worker to tell whether it still runs. */
  started(id: string, pid: number): Promise<void> {
    return this.serial(() => attachments.started(this.h, id, pid));
  }

  /** The container ended (or never started): endpoints, ports and peers' hosts entries go. */
  release(id: string): Promise<void> {
    return this.serial(() => attachments.release(this.h, id));
  }

  connect(ref: string, id: string, aliases: string[], teamId: string): Promise<void> {
    return this.serial(() => attachments.connect(this.h, ref, id, aliases, teamId));
  }

  /** Sets the aliases of the team's running containers on network `ref`, then rewrites the hosts files once. */
  setAliases(ref: string, set: { containerId: string; aliases: string[] }[], teamId: string): Promise<void> {
    return this.serial(() => attachments.setAliases(this.h, ref, set, teamId));
  }

  disconnect(ref: string, id: string, teamId: string): Promise<void> {
    return this.serial(() => attachments.disconnect(this.h, ref, id, teamId));
  }

  /** `inspect`'s NetworkSettings of a container (empty when it has no endpoint now). */
  settings(id: string): NetworkSettings {
    return attachments.settings(this.h, id);
  }
}
