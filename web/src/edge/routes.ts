import fsSync from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { edgeRoutesPath, edgeServedPath, edgeRouteKeyString, namedRouteUpstreams, type EdgeRouteKey, type EdgeServedFile, type Logger, type NamedRoute } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import type { Inflight } from "./inflight.js";
import { readRoutesFile, writeJsonAtomic } from "./named-routes.js";
import { buildDomainIndex, hostName } from "./domains.js";

/** Where a link's traffic goes: a running container's address on its (first) network. */
export interface EdgeRoute {
  containerId: string;
  ip: string;
  port: number;
}

interface NetworksFile {
  networks?: { endpoints?: Record<string, { containerId: string; ip: string }> }[];
}

/** Compose's labels on a stack's containers (core/src/compose/labels.ts). */
const PROJECT_LABEL = "com.docker.compose.project";
const SERVICE_LABEL = "com.docker.compose.service";
const NUMBER_LABEL = "com.docker.compose.container-number";

/**
 * The edge's route table: running containers by (team, name) and stack services by (team,
 * stack, service) from the DB (read only), their addresses from the network service's store
 * ($BERTH_HOME/network/networks.json, written by the worker with write-then-rename), and named
 * routes (previews) from $BERTH_HOME/edge/routes.json (written by web, see named-routes.ts).
 * Refreshed on a timer and on a miss, named routes also as soon as their file changes; a failed
 * refresh keeps the last good table, so the edge serves while web or the worker restarts.
 */
export class RouteTable {
  private containers = new Map<string, string>();
  private services = new Map<string, string>();
  private ips = new Map<string, string>();
  private ipsRead = 0;
  private ipsApplied = 0;
  private named = new Map<string, NamedRoute>();
  /** Custom domains of named routes (domains.ts), swapped with `named`. */
  private domains = new Map<string, EdgeRouteKey>();
  private generation = -1;
  /** Round-robin position per named route with several upstreams. */
  private turn = 0;
  /** Upstreams a switch took out of the named table, until their last request ends. */
  private draining = new Set<string>();
  private refreshing: Promise<void> | null = null;
  /** When the load in flight (or the last one) began, and when the last finished one began (performance.now()). */
  private loadStarted = -Infinity;
  private loadedAsOf = -Infinity;
  private gap: Promise<void> | null = null;
  private reloadingNamed: Promise<void> | null = null;
  private namedAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private watcher: fsSync.FSWatcher | undefined;
  private stopIdle: (() => void) | undefined;
  private servedChain: Promise<void> = Promise.resolve();
  /** Called when a route changes (a container, a service, an address or a named route): the fast path drops its grants. */
  onChange: (() => void) | undefined;

  constructor(
    private readonly db: PrismaClient,
    private readonly home: string,
    private readonly log: Logger,
    private readonly inflight: Inflight,
  ) {}

  private get networksFile(): string {
    return path.join(this.home, "network", "networks.json");
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => void this.refresh(), everyMs);
    this.timer.unref();
    const dir = path.dirname(edgeRoutesPath(this.home));
    fsSync.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The deployer renames a new routes.json into place: reload at once (the timer is the fallback).
    this.watcher = fsSync.watch(dir, (_e, file) => {
      if (file === path.basename(edgeRoutesPath(this.home))) void this.reloadNamed();
    });
    this.watcher.on("error", (err) => this.log.warn({ err: err.message }, "edge: watching the routes file failed; reloading on the timer"));
    this.stopIdle = this.inflight.onIdle(() => {
      if ([...this.draining].some((id) => this.inflight.count(id) === 0)) void this.writeServed();
    });
  }

  stop(): void {
    clearInterval(this.timer);
    this.watcher?.close();
    this.stopIdle?.();
  }

  /** One refresh at a time; callers during one share it. */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      const started = performance.now();
      this.loadStarted = started;
      this.refreshing = this.load().finally(() => {
        this.refreshing = null;
        this.loadedAsOf = started;
      });
    }
    return this.refreshing;
  }

  /**
   * Until the table was read after `asOf`: a load in flight that began earlier may have missed
   * what made a request's route (a container started just before it), so the next one is waited
   * for. Misses share loads, at most one every MISS_REFRESH_GAP_MS: a flood of requests for
   * unknown links costs the database a few reads a second, and each of them a short wait.
   */
  private async loadedSince(asOf: number): Promise<void> {
    while (this.loadedAsOf < asOf) {
      if (!this.refreshing) {
        const wait = this.loadStarted + MISS_REFRESH_GAP_MS - performance.now();
        if (wait > 0) {
          this.gap ??= new Promise<void>((r) => setTimeout(r, wait).unref()).finally(() => (this.gap = null));
          await this.gap;
          continue;
        }
        void this.refresh();
      }
      await this.refreshing;
    }
  }

  private async load(): Promise<void> {
    // Containers and their addresses are read first and swapped in together: a container that
    // appears is never in the table without its address (a request would find it "not running").
    let tables: { containers: Map<string, string>; services: Map<string, string> } | undefined;
    try {
      tables = await this.readContainers();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "edge: reading containers failed; keeping the last route table");
    }
    const ips = await this.readIps();
    let changed = false;
    if (tables) {
      changed = !sameMap(this.containers, tables.containers) || !sameMap(this.services, tables.services);
      if (changed) {
        // What went is logged: a link that answers "not running" can be told from its route's loss.
        const gone = [...this.services.keys()].filter((k) => !tables.services.has(k)).concat([...this.containers.keys()].filter((k) => !tables.containers.has(k)));
        if (gone.length) this.log.info({ gone: gone.slice(0, 20), containers: tables.containers.size }, "edge: route table: links went");
      }
      this.containers = tables.containers;
      this.services = tables.services;
    }
    if (this.takeIps(ips)) changed = true;
    if (changed) this.onChange?.();
    await this.reloadNamed();
  }

  private async readContainers(): Promise<{ containers: Map<string, string>; services: Map<string, string> }> {
    const rows = await this.db.container.findMany({
      where: { state: { in: ["running", "paused"] } },
      select: { id: true, name: true, options: true, createdAt: true, team: { select: { name: true } } },
      orderBy: { createdAt: "desc" },
    });
    const containers = new Map<string, string>();
    const services = new Map<string, { id: string; n: number }>();
    for (const r of rows) {
      containers.set(containerKey(r.team.name, r.name), r.id);
      if (!r.options.includes(PROJECT_LABEL)) continue;
      const labels = stackLabels(r.options);
      if (!labels) continue;
      // A service's link goes to its first replica; during a start-first switch, the newest.
      const key = serviceKey(r.team.name, labels.stack, labels.service);
      const had = services.get(key);
      if (!had || labels.n < had.n) services.set(key, { id: r.id, n: labels.n });
    }
    return { containers, services: new Map([...services].map(([k, v]) => [k, v.id])) };
  }

  /**
   * The containers' addresses from the network store, or null (the last ones are kept) when it
   * cannot be read. Numbered as issued: two reads at once (a refresh and a named routes' reload)
   * may end in either order, and one issued earlier must not replace one issued later.
   */
  private async readIps(): Promise<{ seq: number; map: Map<string, string> } | null> {
    const seq = ++this.ipsRead;
    try {
      const file = JSON.parse(await fs.readFile(this.networksFile, "utf8")) as NetworksFile;
      const next = new Map<string, string>();
      for (const n of file.networks ?? []) for (const e of Object.values(n.endpoints ?? {})) if (!next.has(e.containerId)) next.set(e.containerId, e.ip);
      return { seq, map: next };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log.warn({ err: (err as Error).message, path: this.networksFile }, "edge: reading container addresses failed; keeping the last ones");
      return null;
    }
  }

  /** Takes an address read unless one issued later was taken already; true when the addresses changed. */
  private takeIps(read: { seq: number; map: Map<string, string> } | null): boolean {
    if (!read || read.seq < this.ipsApplied) return false;
    this.ipsApplied = read.seq;
    if (sameMap(this.ips, read.map)) return false;
    this.ips = read.map;
    return true;
  }

  private async loadIps(): Promise<void> {
    if (this.takeIps(await this.readIps())) this.onChange?.();
  }

  /** Reloads routes.json (one reload at a time; a change during one reloads again after it). */
  reloadNamed(): Promise<void> {
    if (this.reloadingNamed) {
      this.namedAgain = true;
      return this.reloadingNamed;
    }
    this.reloadingNamed = (async () => {
      do {
        this.namedAgain = false;
        await this.loadNamed();
      } while (this.namedAgain);
    })().finally(() => (this.reloadingNamed = null));
    return this.reloadingNamed;
  }

  private async loadNamed(): Promise<void> {
    let file;
    try {
      file = await readRoutesFile(this.home);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "edge: reading named routes failed; keeping the last ones");
      return;
    }
    if (file.generation === this.generation) return;
    const next = new Map(Object.entries(file.routes));
    // A new upstream's address must be known before traffic moves to it, and one started again
    // (a rollback to stopped replicas) may have a new one: read them on every change.
    await this.loadIps();
    const now = new Set([...next.values()].flatMap((r) => namedRouteUpstreams(r).map((u) => u.containerId)));
    for (const r of this.named.values()) for (const u of namedRouteUpstreams(r)) if (!now.has(u.containerId)) this.draining.add(u.containerId);
    for (const id of now) this.draining.delete(id);
    // The swap: one assignment, so a request sees the old table or the new one.
    this.named = next;
    // Custom domains move with their routes, in the same tick.
    const domains = buildDomainIndex(next);
    this.domains = domains.byHost;
    for (const c of domains.conflicts) this.log.warn(c, "edge: a domain is claimed by two named routes; the first keeps it");
    this.generation = file.generation;
    this.onChange?.();
    this.log.info({ generation: file.generation, routes: next.size }, "edge: named routes loaded");
    await this.writeServed();
  }

  /**
   * Writes served.json; writes run one after another, each with the state as it is when it
   * runs, so an older state can never land after a newer one (a drained upstream would then
   * read as draining until the next switch).
   */
  private writeServed(): Promise<void> {
    this.servedChain = this.servedChain.then(() => this.writeServedNow());
    return this.servedChain;
  }

  private async writeServedNow(): Promise<void> {
    const draining: Record<string, number> = {};
    for (const id of [...this.draining]) {
      const n = this.inflight.count(id);
      if (n > 0) draining[id] = n;
      else this.draining.delete(id);
    }
    const served: EdgeServedFile = { generation: Math.max(0, this.generation), pid: process.pid, draining, at: new Date().toISOString() };
    try {
      await writeJsonAtomic(edgeServedPath(this.home), served);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "edge: writing served.json failed");
    }
  }

  /**
   * The route for a key from the table as it is now (no I/O: a switch is seen at once); a named
   * route with several upstreams gives the next one in turn (`pick` false: the first, taking no turn).
   */
  find(key: EdgeRouteKey, pick = true): EdgeRoute | null {
    let id: string | undefined;
    let port: number;
    if (key.kind === "container") [id, port] = [this.containers.get(containerKey(key.team, key.container)), key.port];
    else if (key.kind === "stack") [id, port] = [this.services.get(serviceKey(key.team, key.stack, key.service)), key.port];
    else {
      const r = this.named.get(edgeRouteKeyString(key));
      if (!r) return null;
      // Several replicas: each request to the next one with a known address.
      const ups = namedRouteUpstreams(r).filter((u) => this.ips.has(u.containerId));
      const u = ups.length > 1 && pick ? ups[this.turn++ % ups.length]! : (ups[0] ?? r.upstream);
      [id, port] = [u.containerId, u.port];
    }
    const ip = id && this.ips.get(id);
    return id && ip ? { containerId: id, ip, port } : null;
  }

  /** The named route a custom domain (a Host header) serves, as its key; null when no route claims it. */
  domainKey(hostHeader: string): EdgeRouteKey | null {
    return this.domains.get(hostName(hostHeader)) ?? null;
  }

  /** The named route behind a preview or environment key, as routes.json has it now. */
  namedRoute(key: EdgeRouteKey): NamedRoute | undefined {
    return key.kind === "preview" || key.kind === "environment" ? this.named.get(edgeRouteKeyString(key)) : undefined;
  }

  /** The first of `keys` with a route in the table as it is now (no I/O), or null. */
  lookupNow(keys: EdgeRouteKey[]): { key: EdgeRouteKey; route: EdgeRoute } | null {
    for (const key of keys) {
      const route = this.find(key, false);
      if (route) return { key, route };
    }
    return null;
  }

  /**
   * The first of `keys` with a route; a miss is looked up again in a table read after the call
   * (a container that was running when the request came is found, not answered as missing).
   */
  async lookup(keys: EdgeRouteKey[]): Promise<{ key: EdgeRouteKey; route: EdgeRoute } | null> {
    const asOf = performance.now();
    const hit = this.lookupNow(keys);
    if (hit) return hit;
    await this.loadedSince(asOf);
    return this.lookupNow(keys);
  }
}

/** The shortest time between two loads of the table a miss starts. */
const MISS_REFRESH_GAP_MS = 200;

const sameMap = (a: Map<string, string>, b: Map<string, string>): boolean => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

function stackLabels(options: string): { stack: string; service: string; n: number } | null {
  try {
    const l = (JSON.parse(options) as { labels?: Record<string, string> }).labels ?? {};
    const stack = l[PROJECT_LABEL];
    const service = l[SERVICE_LABEL];
    return stack && service ? { stack, service, n: Number(l[NUMBER_LABEL] ?? "1") || 1 } : null;
  } catch {
    return null;
  }
}

const containerKey = (team: string, name: string) => `${team.toLowerCase()}/${name.toLowerCase()}`;
const serviceKey = (team: string, stack: string, service: string) => `${team.toLowerCase()}/${stack.toLowerCase()}/${service.toLowerCase()}`;
