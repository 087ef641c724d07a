import os from "node:os";
import {
  AlreadyExists,
  ContainerOptions,
  healthKey,
  newContainerId,
  publishEvent,
  resolveImage,
  type BerthEvent,
  type HealthState,
  type HostPathGrant,
  type Logger,
} from "@berth/core";
import type { ServiceRun } from "@berth/core/compose";
import type { Db, PrismaClient } from "@berth/core/db";
import { Prisma } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import type { ContentStore } from "@berth/core/content";
import type { ContainerManager } from "../containers/index.js";
import { confineBinds } from "../containers/host-paths.js";
import { loadImage } from "../images/index.js";
import type { NetworkService } from "../network/index.js";
import { prepareMounts, type VolumeStore } from "../volumes/index.js";

export interface StackHostDeps {
  db: PrismaClient;
  redis: Redis;
  blobs: ContentStore;
  hostId: string;
  manager: ContainerManager;
  network: NetworkService;
  volumes: VolumeStore;
  log: Logger;
}

/** Who a converge acts for: the team, and what web admitted for it (site admin, granted host paths). */
export interface StackScope {
  teamId: string;
  siteAdmin: boolean;
  hostPaths?: HostPathGrant[];
}

/**
 * What a converge does to this host, in the terms of `berth run`/`rm`/`start`, `network create`
 * and `volume create`: the same stores and checks those jobs use, called in-process because a
 * stack's containers, network and volumes all live on the host that converges it.
 */
export class StackHost {
  constructor(private readonly d: StackHostDeps) {}

  private async publish(ev: Omit<BerthEvent, "time">): Promise<void> {
    await publishEvent(this.d.redis, ev, (err) => this.d.log.warn({ err: err.message, type: ev.type }, `could not publish ${ev.type}`));
  }

  /** Makes the team's network `name` unless it exists; true when it was made. */
  async ensureNetwork(teamId: string, name: string, labels: Record<string, string>): Promise<boolean> {
    if (this.d.network.list(teamId).some((n) => n.Name === name)) return false;
    const made = await this.d.network.create(name, { labels }, teamId);
    await this.publish({ type: "network.create", id: made.id, teamId, attributes: { name, type: "bridge" } });
    return true;
  }

  /** Makes the team's volume `name` unless it exists; true when it was made. */
  async ensureVolume(teamId: string, name: string, labels: Record<string, string>): Promise<boolean> {
    const had = await this.d.db.volume.findUnique({ where: { teamId_name: { teamId, name } }, select: { id: true } });
    if (had) return false;
    await this.d.volumes.create(name, labels, false, teamId);
    await this.publish({ type: "volume.create", id: name, teamId, attributes: { driver: "local" } });
    return true;
  }

  /** `run -d --name NAME`: the row (as web's run writes it), its mounts, then the start; resolves once it runs or failed to. */
  async run(scope: StackScope, req: ServiceRun): Promise<Db.Container> {
    const made = await this.create(scope, req);
    await this.startCreated(made.id);
    return this.d.db.container.findUniqueOrThrow({ where: { id: made.id } });
  }

  /**
   * `create --name NAME`: the row (as web's run writes it) and its volumes, not started. `up`
   * creates a dependant's containers while its dependencies come up, as Compose does, so that
   * only the start is left once their condition holds.
   */
  async create(scope: StackScope, req: ServiceRun): Promise<Db.Container> {
    const { db } = this.d;
    const { teamId } = scope;
    const image = await resolveImage(db, { teamId, siteAdmin: scope.siteAdmin }, req.image);
    const o = req.options;
    const custom = o.network !== undefined && !["bridge", "host", "none"].includes(o.network);
    if (custom || (o.publish ?? []).some((p) => p.hostPort !== 0)) await this.d.network.check(o.network, o.publish ?? [], teamId);
    const holder = await db.container.findUnique({ where: { teamId_name: { teamId, name: req.name } }, select: { id: true } });
    if (holder) throw new AlreadyExists(nameInUse(req.name, holder.id));
    const id = newContainerId();
    // Volumes, binds and the image's VOLUMEs are settled first: a bad mount leaves no container.
    const loaded = await loadImage(db, this.d.blobs, image.id);
    const allowed = scope.siteAdmin ? o.mounts : await confineBinds(o.mounts, scope.hostPaths ?? []);
    const mounts = await prepareMounts(this.d.volumes, loaded.config, allowed, teamId);
    const options: ContainerOptions = mounts.length ? { ...o, mounts } : o;
    let row: Db.Container;
    try {
      row = await db.container.create({
        data: { id, name: req.name, teamId, imageId: image.id, imageRef: image.ref, hostId: this.d.hostId, cmd: JSON.stringify(req.cmd ?? []), state: "created", autoRemove: false, options: JSON.stringify(options) },
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") throw new AlreadyExists(nameInUse(req.name, ""), { cause: err });
      throw err;
    }
    await this.publish({ type: "container.create", id, hostId: this.d.hostId, teamId, attributes: { name: req.name, image: image.ref } });
    return row;
  }

  /** Starts a container `create` made (a `run -d`: nobody waits to attach); resolves once it runs or failed to. */
  async startCreated(id: string): Promise<void> {
    await this.d.manager.run(id, { waitForAttach: false });
  }

  /** `start`: a created or exited container again; resolves once it runs (or was recorded as failed). The start path publishes its `start` event. */
  async start(id: string): Promise<void> {
    await this.d.manager.start(id);
  }

  /**
   * `stop`: the container's stop signal (stop_signal, default SIGTERM), SIGKILL after its grace
   * period (stop_grace_period, default 10 s); resolves once the exit is recorded.
   */
  async stop(c: Db.Container): Promise<void> {
    const o = ContainerOptions.parse(JSON.parse(c.options || "{}"));
    if (await this.d.manager.stop(c.id, o.stopTimeout ?? 10, signalNumber(o.stopSignal))) await this.publish({ type: "container.stop", id: c.id, hostId: this.d.hostId, teamId: c.teamId, attributes: { name: c.name, image: c.imageRef } });
  }

  /** `rm -f`: killed, its directory and row gone. */
  async remove(c: Db.Container): Promise<void> {
    await this.d.manager.remove(c.id, true);
    await this.d.db.container.deleteMany({ where: { id: c.id } });
    await this.publish({ type: "container.destroy", id: c.id, hostId: this.d.hostId, teamId: c.teamId, attributes: { name: c.name, image: c.imageRef } });
  }

  /** Gives each listed container of the team exactly these names on network `ref`, in one step (the hosts files rewritten once). */
  async setAliases(teamId: string, ref: string, set: { containerId: string; aliases: string[] }[]): Promise<void> {
    await this.d.network.setAliases(ref, set, teamId);
  }

  /** Resolves at the container's next event (its state and health recorded by then) or after `ms`. */
  nextChange(id: string, ms: number): Promise<void> {
    return this.d.manager.nextChange(id, ms);
  }

  /** The health the monitor recorded for a container (none: it has no check, or no result yet). */
  async health(id: string): Promise<HealthState | undefined> {
    const v = await this.d.redis.get(healthKey(id));
    return v ? (JSON.parse(v) as HealthState) : undefined;
  }
}

/** "SIGTERM", "TERM", "15" → 15; none → SIGTERM (web refused a bad one at `up`). */
function signalNumber(text: string | undefined): number {
  if (!text) return 15;
  if (/^\d+$/.test(text.trim())) return Number(text.trim());
  return (os.constants.signals as Record<string, number>)[`SIG${text.trim().toUpperCase().replace(/^SIG/, "")}`] ?? 15;
}

/** Docker's message for a taken name. */
const nameInUse = (name: string, holderId: string) =>
  `Conflict. The container name "/${name}" is already in use by container "${holderId}". You have to remove (or rename) that container to be able to reuse that name.`;
