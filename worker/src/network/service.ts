import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import {
  AlreadyExists,
  FailedPrecondition,
  homePaths,
  InvalidArgument,
  NotFound,
  type Logger,
  type NetworkInspect,
  type NetworkSettings,
  type PortMapping,
  type ExtraHost,
} from "@berth/core";
import { attachNetwork, detachNetwork, type BindMount, type NetworkMode } from "@berth/native";
import { AttachmentRecords, type AttachmentRecord } from "./attachment-records.js";
import { createBridge, deleteLink, enslave, linkExists, linksWithPrefix } from "./bridge.js";
import { containerSettings, describeNetwork, macFor, pseudoNetwork } from "./describe.js";
import { contains, formatCidr, intToIp, ipToInt, parseCidr } from "./cidr.js";
import { extraHostEntries, hostHosts, hostsEntries, hostsFile, hostsLines, makeInitLayer, resolvConf, writeInPlace } from "./files.js";
import { allocateAddress, claimSubnet, keepClaim, releaseAllSubnets, releaseSubnet } from "./ipam.js";
import { liveRecords } from "./restore.js";
import { AntiSpoof } from "./anti-spoof.js";
import { ControlPlaneGuard } from "./control-plane.js";
import { Nat } from "./nat.js";
import { checkFree, exposedPorts, isProxyOf, proxiesOf, publish, stopProxy } from "./ports.js";
import { NetworkStore, type EndpointRecord, type NetworkRecord } from "./store.js";

export const DEFAULT_NETWORK = "bridge";
const PREDEFINED = new Set(["bridge", "host", "none"]);

/** A container as the network layer knows it while it has endpoints or ports (also on disk). */
type Attached = AttachmentRecord;

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

/**
 * The networks of this host: bridges, addresses, NAT rules, published ports and the hosts files
 * that give containers on a user-defined network each other's names. Host-global names carry
 * the instance: links `bb<tag>…`/`vb<tag>…` (tag = 6 hex of the host id), iptables comments
 * `berth-<hostId>`, the iptables chain `BERTH-IN-<tag>`, the nftables table `bridge berth-<hostId>`,
 * subnet claims owned by the host id.
 */
export class NetworkService {
  private readonly store: NetworkStore;
  private readonly nat: Nat;
  private readonly guard: ControlPlaneGuard;
  private readonly antiSpoof: AntiSpoof;
  readonly tag: string;
  private readonly attached = new Map<string, Attached>();
  private readonly records: AttachmentRecords;
  private readonly initLayer: string;
  private readonly proxyLog: string;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    home: string,
    private readonly hostId: string,
    private readonly log: Logger,
    private readonly options: NetworkOptions = {},
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

  /** One operation at a time: allocation and the hosts files stay consistent. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Start-up. The containers a crashed worker left running (their PID 1 alive: their shims keep
   * them, and the next worker adopts them) keep their network: bridge, veths, addresses, rules,
   * anti-spoofing entries, hosts files and port proxy. Whatever else a previous run of this
   * instance left goes; then the stored networks come back.
   */
  async init(): Promise<void> {
    await this.serial(async () => {
      await makeInitLayer(this.initLayer);
      await this.store.load();
      await this.adoptLegacy();
      const live = await liveRecords(await this.records.all(), this.store.networks);
      const kept = new Map(live.map((a) => [a.id, a]));
      for (const p of await proxiesOf(this.hostId)) if (kept.get(p.containerId)?.proxy !== p.pid) await stopProxy(p.pid, p.containerId);
      for (const a of await this.records.all()) if (!kept.has(a.id)) await this.records.remove(a.id);
      for (const n of this.store.networks) for (const id of Object.keys(n.endpoints)) if (!kept.get(id)?.networks.includes(n.id)) delete n.endpoints[id];
      const busy = this.store.networks.filter((n) => Object.keys(n.endpoints).length);
      const veths = new Set(busy.flatMap((n) => Object.values(n.endpoints).map((ep) => ep.hostIfname)));
      await this.cleanHost({ bridges: new Set(busy.map((n) => n.bridge)), veths });
      await this.nat.enableForwarding();
      await this.antiSpoof.install(busy.flatMap((n) => Object.values(n.endpoints)));
      const ports = this.options.controlPlanePorts ?? [];
      await this.guard.install(ports);
      if (ports.length) this.log.info({ ports }, "containers cannot reach these control-plane ports on this host");
      else this.log.warn("containers may reach Berth's control-plane ports on this host (BERTH_ALLOW_CONTAINER_CONTROL_PLANE)");
      for (const n of [...this.store.networks]) {
        if (busy.includes(n)) {
          await this.keepUp(n);
          continue;
        }
        try {
          await this.bringUp(n, n.subnet);
        } catch (e) {
          this.log.warn({ err: e, network: n.name }, "network could not keep its subnet; taking another");
          const c = await claimSubnet(this.hostId, n.bridge);
          n.subnet = formatCidr(c);
          n.gateway = intToIp(c.base + 1);
          await this.bringUp(n, n.subnet);
        }
      }
      if (!this.store.networks.some((n) => n.name === DEFAULT_NETWORK)) await this.createLocked(DEFAULT_NETWORK, {}, true, null);
      await this.store.save();
      for (const a of live) {
        this.attached.set(a.id, a);
        await this.restoreProxy(a);
      }
      // Peers that died with the previous worker leave the kept containers' hosts files.
      for (const a of live) await this.writeHosts(a);
      if (live.length) this.log.info({ containers: live.map((a) => a.id.slice(0, 12)) }, "kept the network of containers that ran on after the previous worker");
    });
  }

  /** A network with kept endpoints: its bridge (made again if it went, the kept veths back on it), subnet claim and rules stay. */
  private async keepUp(n: NetworkRecord): Promise<void> {
    const c = await keepClaim(this.hostId, n.bridge, n.subnet);
    if (!(await linkExists(n.bridge))) {
      await createBridge(n.bridge, n.gateway, c.prefix);
      for (const ep of Object.values(n.endpoints)) await enslave(ep.hostIfname, n.bridge).catch((err: unknown) => this.log.warn({ err, veth: ep.hostIfname }, "could not put a kept veth back on its bridge"));
    }
    await this.nat.ensure(n.subnet, n.bridge);
  }

  /** A kept container whose port proxy is gone (killed meanwhile) gets one again, on the same host ports. */
  private async restoreProxy(a: Attached): Promise<void> {
    if (!a.ports.length || (a.proxy !== undefined && (await isProxyOf(a.proxy, a.id)))) return;
    const n = this.store.networks.find((x) => x.id === a.networks[0]);
    const ip = n?.endpoints[a.id]?.ip;
    delete a.proxy;
    try {
      if (!ip) throw new FailedPrecondition(`container ${a.id.slice(0, 12)} has no address to relay its published ports to`);
      const proxy = await publish(a.ports, ip, { hostId: this.hostId, containerId: a.id }, this.proxyLog);
      a.proxy = proxy.pid;
      this.log.warn({ container: a.id.slice(0, 12) }, "the port proxy of an adopted container was gone: started it again");
    } catch (err) {
      this.log.error({ err, container: a.id.slice(0, 12) }, "the published ports of an adopted container could not be bound again");
      a.ports = [];
    }
    await this.records.save(a);
  }

  /** Whether the network of a container the previous worker left running was kept (adoption needs it). */
  kept(id: string): boolean {
    return this.attached.has(id);
  }

  /** After adoption: a kept container that was not adopted (ended meanwhile, or refused) lets its network go. */
  async settle(adopted: Set<string>): Promise<void> {
    for (const id of [...this.attached.keys()]) if (!adopted.has(id)) await this.release(id);
  }

  /** Networks stored before teams: the default bridge is shared, every other one goes to the first admin's team. */
  private async adoptLegacy(): Promise<void> {
    const legacy = this.store.networks.filter((n) => n.teamId === undefined);
    if (!legacy.length) return;
    const team = legacy.some((n) => !n.builtin) ? await this.options.legacyTeam?.() : undefined;
    for (const n of legacy) {
      if (n.builtin) n.teamId = null;
      else if (team) n.teamId = team;
      // No user yet: it stays unowned (seen by no team) and the next start tries again.
      else this.log.warn({ network: n.name }, "a network from before teams has no team to go to yet (no user)");
    }
    await this.store.save();
  }

  /**
   * Shutdown (a worker's own, or the launcher's clean-up after a worker that died): port proxies
   * ended, rules and bridges removed, claims given back (the networks stay stored).
   */
  async shutdown(): Promise<void> {
    await this.serial(async () => {
      for (const a of this.attached.values()) await closePorts(a);
      this.attached.clear();
      for (const p of await proxiesOf(this.hostId)) await stopProxy(p.pid, p.containerId);
      await this.records.clear();
      await this.guard.remove();
      await this.antiSpoof.remove();
      await this.cleanHost();
    });
  }

  /** Removes this instance's NAT rules, links and claims, but `keep`'s bridges (their rules and claims) and veths. */
  private async cleanHost(keep: { bridges: Set<string>; veths: Set<string> } = { bridges: new Set(), veths: new Set() }): Promise<void> {
    await this.nat.removeAll(keep.bridges);
    for (const l of await linksWithPrefix([`bb${this.tag}`, `vb${this.tag}`])) {
      if (keep.bridges.has(l) || keep.veths.has(l)) continue;
      await deleteLink(l).catch((err: unknown) => this.log.warn({ err, link: l }, "could not delete link"));
    }
    await releaseAllSubnets(this.hostId, keep.bridges);
  }

  private async bringUp(n: NetworkRecord, subnet: string): Promise<void> {
    const c = await claimSubnet(this.hostId, n.bridge, subnet);
    try {
      await createBridge(n.bridge, n.gateway, c.prefix);
      await this.nat.add(formatCidr(c), n.bridge);
    } catch (e) {
      await deleteLink(n.bridge).catch(() => undefined);
      await releaseSubnet(c, this.hostId);
      throw e;
    }
  }

  // ---- network commands ----------------------------------------------------------------------

  create(name: string, o: { subnet?: string; gateway?: string; labels?: Record<string, string> }, teamId: string): Promise<{ id: string }> {
    return this.serial(async () => {
      if (PREDEFINED.has(name) || this.visible(teamId).some((n) => n.name === name)) throw new AlreadyExists(`network with name ${name} already exists`);
      const n = await this.createLocked(name, o, false, teamId);
      await this.store.save();
      return { id: n.id };
    });
  }

  private async createLocked(name: string, o: { subnet?: string; gateway?: string; labels?: Record<string, string> }, builtin: boolean, teamId: string | null): Promise<NetworkRecord> {
    if (o.gateway && !o.subnet) throw new InvalidArgument("--gateway needs --subnet");
    const bridge = `bb${this.tag}${this.store.nextBridgeIndex().toString(36)}`;
    const c = await claimSubnet(this.hostId, bridge, o.subnet);
    const gateway = o.gateway ?? intToIp(c.base + 1);
    if (!contains(c, ipToInt(gateway)) || ipToInt(gateway) === c.base) {
      await releaseSubnet(c, this.hostId);
      throw new InvalidArgument(`invalid --gateway ${gateway}: not a host address of ${formatCidr(c)}`);
    }
    const n: NetworkRecord = {
      id: randomBytes(32).toString("hex"),
      name,
      driver: "bridge",
      subnet: formatCidr(c),
      gateway,
      bridge,
      created: new Date().toISOString(),
      labels: o.labels ?? {},
      builtin,
      teamId,
      endpoints: {},
    };
    try {
      await createBridge(bridge, gateway, c.prefix);
      await this.nat.add(n.subnet, bridge);
    } catch (e) {
      await this.nat.remove(n.subnet, bridge);
      await deleteLink(bridge).catch(() => undefined);
      await releaseSubnet(c, this.hostId);
      throw e;
    }
    this.store.add(n);
    this.log.info({ network: name, subnet: n.subnet, bridge }, "network created");
    return n;
  }

  /** What a team sees: its own networks and the shared default bridge (no team: only the bridge). */
  private visible(teamId: string | undefined): NetworkRecord[] {
    return this.store.networks.filter((n) => n.builtin || (teamId !== undefined && n.teamId === teamId));
  }

  /** By name, full id or unique id prefix (Docker's rules), among the team's; another team's is not found, as a missing one. */
  private find(ref: string, teamId: string | undefined): NetworkRecord {
    const seen = this.visible(teamId);
    const byName = seen.find((n) => n.name === ref);
    if (byName) return byName;
    const byId = seen.filter((n) => n.id.startsWith(ref));
    if (byId.length === 1) return byId[0]!;
    throw new NotFound(`network ${ref} not found`);
  }

  list(teamId: string): NetworkInspect[] {
    return [...this.visible(teamId).map((n) => describeNetwork(n, teamId)), pseudoNetwork("host", this.hostId), pseudoNetwork("none", this.hostId)];
  }

  inspect(refs: string[], teamId: string): NetworkInspect[] {
    return refs.map((r) => {
      if (r === "host" || r === "none") return pseudoNetwork(r, this.hostId);
      return describeNetwork(this.find(r, teamId), teamId);
    });
  }

  /** The names removed (a network's name as given, id or name), in order; the first refusal stops. */
  remove(refs: string[], teamId: string): Promise<{ ref: string; id: string; name: string }[]> {
    return this.serial(async () => {
      const done: { ref: string; id: string; name: string }[] = [];
      for (const r of refs) {
        if (r === "host" || r === "none") throw new FailedPrecondition(`${r} is a pre-defined network and cannot be removed`);
        const n = this.find(r, teamId);
        if (n.builtin) throw new FailedPrecondition(`${n.name} is a pre-defined network and cannot be removed`);
        if (Object.keys(n.endpoints).length) throw new FailedPrecondition(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
        await this.destroy(n);
        done.push({ ref: r, id: n.id, name: n.name });
      }
      return done;
    });
  }

  /** The team's networks no container is on (the default bridge stays). */
  prune(teamId: string): Promise<{ id: string; name: string }[]> {
    return this.serial(async () => {
      const gone: { id: string; name: string }[] = [];
      for (const n of this.visible(teamId)) {
        if (n.builtin || Object.keys(n.endpoints).length) continue;
        await this.destroy(n);
        gone.push({ id: n.id, name: n.name });
      }
      return gone;
    });
  }

  private async destroy(n: NetworkRecord): Promise<void> {
    await this.nat.remove(n.subnet, n.bridge);
    await deleteLink(n.bridge);
    await releaseSubnet(parseCidr(n.subnet), this.hostId);
    this.store.delete(n.id);
    await this.store.save();
    this.log.info({ network: n.name }, "network removed");
  }

  /** `run`'s early check, before the container is recorded: the network exists, the host ports are free. */
  async check(network: string | undefined, ports: PortMapping[], teamId: string): Promise<void> {
    if (network === "host" || network === "none") return; // no proxies there: Docker discards -p
    if (network !== undefined) this.find(network, teamId);
    for (const p of ports) await checkFree(p);
  }

  // ---- containers -----------------------------------------------------------------------------

  /**
   * Before a container starts: its endpoint (address, MAC, veth names), its hosts, hostname and
   * resolv.conf, and its published ports bound. Undone entirely when anything fails.
   */
  prepare(c: ContainerRef, o: { network?: string; aliases?: string[]; networks?: { name: string; aliases: string[] }[]; publish?: PortMapping[]; exposed?: string[]; extraHosts?: ExtraHost[] }): Promise<Prepared> {
    return this.serial(async () => {
      const mode = o.network === "host" ? "host" : o.network === "none" ? "none" : "bridge";
      const a: Attached = { id: c.id, name: c.name, ...(c.teamId ? { teamId: c.teamId } : {}), dir: c.dir, mode, networks: [], ports: [], nextIf: 0, ...(o.extraHosts?.length ? { extraHosts: o.extraHosts } : {}) };
      const hostname = c.id.slice(0, 12);
      const binds: BindMount[] = [
        { source: path.join(c.dir, "hosts"), destination: "/etc/hosts" },
        { source: path.join(c.dir, "hostname"), destination: "/etc/hostname" },
        { source: path.join(c.dir, "resolv.conf"), destination: "/etc/resolv.conf" },
      ];
      await writeInPlace(binds[1]!.source, hostname + "\n");
      await writeInPlace(binds[2]!.source, await resolvConf(mode === "host"));
      if (mode !== "bridge") {
        // --network host shares the host's names, as Docker does; none knows only localhost.
        // There the host is this machine itself: host-gateway is loopback.
        const extra = hostsLines(extraHostEntries(o.extraHosts, "127.0.0.1"));
        await writeInPlace(binds[0]!.source, mode === "host" ? (await hostHosts()).replace(/\n*$/, "\n") + extra : hostsFile(extraHostEntries(o.extraHosts, "127.0.0.1")));
        return { network: { mode }, binds, initLayer: this.initLayer };
      }
      // `network connect`/`disconnect` on a stopped container leave the full list in `networks`.
      const wanted = o.networks ?? [{ name: o.network ?? DEFAULT_NETWORK, aliases: o.aliases ?? [] }];
      const nets = wanted.map((w) => ({ n: this.find(w.name, c.teamId), aliases: w.aliases }));
      this.attached.set(c.id, a);
      const eps: { n: NetworkRecord; ep: EndpointRecord }[] = [];
      try {
        for (const { n, aliases } of nets) {
          const ep = this.addEndpoint(n, a, n.builtin ? [] : aliases);
          eps.push({ n, ep });
          await this.antiSpoof.allow(ep);
        }
        await this.records.save(a); // before the proxy: a crash from here on leaves nothing unknown
        const ip = eps[0]?.ep.ip;
        const mappings = [...(o.publish ?? []), ...exposedPorts(o.exposed ?? [], o.publish ?? [])];
        if (ip && mappings.length) {
          const proxy = await publish(mappings, ip, { hostId: this.hostId, containerId: a.id }, this.proxyLog);
          a.ports = proxy.ports;
          a.proxy = proxy.pid;
          await this.records.save(a);
        }
        if (!eps.length) await this.writeHosts(a);
        for (const { n } of eps) await this.refreshHosts(n, a);
      } catch (e) {
        await this.releaseLocked(c.id);
        throw e;
      }
      // Disconnected from every network: its own namespace with only lo (connect can add more).
      if (!eps.length) return { network: { mode: "none" }, binds, initLayer: this.initLayer };
      const veth = ({ n, ep }: { n: NetworkRecord; ep: EndpointRecord }) => ({ bridge: n.bridge, hostIfname: ep.hostIfname, ifname: ep.ifname, mac: ep.mac, address: ep.ip, prefixLength: parseCidr(n.subnet).prefix });
      const [first, ...rest] = eps;
      return {
        // All veths are added before the command runs (the runtime holds it until they are up).
        network: { mode: "bridge", ...veth(first!), gateway: first!.n.gateway, ...(rest.length ? { extra: rest.map(veth) } : {}) },
        binds,
        initLayer: this.initLayer,
      };
    });
  }

  private addEndpoint(n: NetworkRecord, a: Attached, aliases: string[]): EndpointRecord {
    if (n.endpoints[a.id]) throw new AlreadyExists(`endpoint with name ${a.name} already exists in network ${n.name}`);
    const ip = allocateAddress(parseCidr(n.subnet), n.gateway, Object.values(n.endpoints).map((e) => e.ip));
    const ep: EndpointRecord = {
      containerId: a.id,
      containerName: a.name,
      ...(a.teamId ? { teamId: a.teamId } : {}),
      endpointId: randomBytes(32).toString("hex"),
      ip,
      mac: macFor(ip),
      aliases,
      hostIfname: `vb${this.tag}${this.store.nextVethIndex().toString(36)}`,
      ifname: `eth${a.nextIf++}`,
    };
    n.endpoints[a.id] = ep;
    a.networks.push(n.id);
    return ep;
  }

  /** The endpoint's anti-spoofing entry goes; a failure is logged, so the rest of a release still happens. */
  private async revoke(ep: EndpointRecord): Promise<void> {
    await this.antiSpoof.revoke(ep).catch((err: unknown) => this.log.warn({ err, veth: ep.hostIfname }, "could not remove the endpoint's anti-spoofing entry"));
  }

  /** The container runs: its pid, for connect/disconnect, and for the next worker to tell whether it still runs. */
  started(id: string, pid: number): Promise<void> {
    return this.serial(async () => {
      const a = this.attached.get(id);
      if (!a || a.pid === pid) return;
      a.pid = pid;
      await this.records.save(a);
    });
  }

  /** The container ended (or never started): endpoints, ports and peers' hosts entries go. */
  release(id: string): Promise<void> {
    return this.serial(() => this.releaseLocked(id));
  }

  private async releaseLocked(id: string): Promise<void> {
    const a = this.attached.get(id);
    this.attached.delete(id);
    if (a) await closePorts(a);
    await this.records.remove(id);
    const touched: NetworkRecord[] = [];
    for (const n of this.store.networks) {
      const ep = n.endpoints[id];
      if (!ep) continue;
      await this.revoke(ep);
      delete n.endpoints[id];
      touched.push(n);
    }
    if (!touched.length) return;
    for (const n of touched) await this.refreshHosts(n);
  }

  connect(ref: string, id: string, aliases: string[], teamId: string): Promise<void> {
    return this.serial(async () => {
      const a = this.attached.get(id);
      // Only the team's own containers: another team's running one is as unknown as a stopped one.
      if (a && a.teamId !== undefined && a.teamId !== teamId) throw new NotFound(`No such container: ${id}`);
      if (!a?.pid) throw new FailedPrecondition(`container ${id.slice(0, 12)} is not running: connect works on running containers`);
      if (a.mode !== "bridge") throw new FailedPrecondition(`container sharing network namespace with ${a.mode === "host" ? "the host" : "no network"} cannot be connected to a network`);
      const n = this.find(ref, teamId);
      const ep = this.addEndpoint(n, a, n.builtin ? [] : aliases);
      try {
        await this.antiSpoof.allow(ep);
        await attachNetwork(a.pid, { bridge: n.bridge, hostIfname: ep.hostIfname, ifname: ep.ifname, mac: ep.mac, address: ep.ip, prefixLength: parseCidr(n.subnet).prefix });
      } catch (e) {
        await this.revoke(ep);
        delete n.endpoints[id];
        a.networks = a.networks.filter((x) => x !== n.id);
        throw e;
      }
      await this.records.save(a);
      await this.refreshHosts(n, a);
    });
  }

  /** Sets the aliases of the team's running containers on network `ref`, then rewrites the hosts files once. */
  setAliases(ref: string, set: { containerId: string; aliases: string[] }[], teamId: string): Promise<void> {
    return this.serial(async () => {
      const n = this.find(ref, teamId);
      for (const e of set) {
        const a = this.attached.get(e.containerId);
        if (a && a.teamId !== undefined && a.teamId !== teamId) throw new NotFound(`No such container: ${e.containerId}`);
        if (!a || !n.endpoints[e.containerId]) throw new FailedPrecondition(`container ${e.containerId.slice(0, 12)} is not connected to network ${n.name}: only a running container's aliases change`);
      }
      for (const e of set) n.endpoints[e.containerId]!.aliases = n.builtin ? [] : [...new Set(e.aliases)];
      await this.refreshHosts(n);
    });
  }

  disconnect(ref: string, id: string, teamId: string): Promise<void> {
    return this.serial(async () => {
      const n = this.find(ref, teamId);
      const ep = n.endpoints[id];
      const a = this.attached.get(id);
      if (a && a.teamId !== undefined && a.teamId !== teamId) throw new NotFound(`No such container: ${id}`);
      if (!ep || !a) throw new FailedPrecondition(`container ${id.slice(0, 12)} is not connected to network ${n.name}`);
      if (a.pid) await detachNetwork(a.pid, ep.ifname).catch((err: unknown) => this.log.warn({ err }, "detaching the interface failed"));
      await this.revoke(ep);
      delete n.endpoints[id];
      a.networks = a.networks.filter((x) => x !== n.id);
      await this.records.save(a);
      await this.refreshHosts(n);
      await this.writeHosts(a);
    });
  }

  /** Rewrites the hosts file of every container on `n` (and so on every network they are on). */
  private async refreshHosts(n: NetworkRecord, self?: Attached): Promise<void> {
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

  private async writeHosts(a: Attached): Promise<void> {
    // host-gateway: the host as this container reaches it, its first network's gateway (eth0's route).
    const first = this.store.networks.find((x) => x.id === a.networks[0]);
    await writeInPlace(path.join(a.dir, "hosts"), hostsFile([...extraHostEntries(a.extraHosts, first?.gateway ?? "127.0.0.1"), ...hostsEntries(a, this.store.networks)]));
  }

  /** `inspect`'s NetworkSettings of a container (empty when it has no endpoint now). */
  settings(id: string): NetworkSettings {
    return containerSettings(this.attached.get(id), this.store.networks);
  }
}

async function closePorts(a: Attached): Promise<void> {
  if (a.proxy !== undefined) await stopProxy(a.proxy, a.id);
  delete a.proxy;
  a.ports = [];
}

/** 6 hex chars of the host id: keeps link names within 15 bytes and unique per instance. */
export function linkTag(hostId: string): string {
  return createHash("sha256").update(hostId).digest("hex").slice(0, 6);
}
