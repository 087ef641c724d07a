import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { FailedPrecondition, NotFound, type Logger, type VolumeInfo, type VolumeRemoveResult, type VolumePruneResult } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { Prisma } from "@berth/core/db";
import { parseLayers } from "./layers.js";
import { mountsOf } from "./options.js";
import { LayeredVolumes } from "./snapshot.js";

export { mountsOf };

export interface VolumeStoreDeps {
  db: PrismaClient;
  /** $BERTH_HOME/volumes */
  dir: string;
  hostId: string;
  log: Logger;
}

type VolumeRow = { name: string; driver: string; labels: string; mountpoint: string; createdAt: Date };

export function volumeInfo(v: VolumeRow): VolumeInfo {
  return { Name: v.name, Driver: v.driver, Mountpoint: v.mountpoint, Labels: JSON.parse(v.labels) as Record<string, string>, Scope: "local", CreatedAt: v.createdAt.toISOString(), Options: null };
}

/** Docker's words for a volume that is not there (another team's is answered the same). */
export const noSuchVolume = (name: string) => `No such volume: ${name}`;

/**
 * The volumes of this host: a row and `<dir>/<id>/_data` made and removed together, here only.
 * A volume belongs to a team and is found by its name within that team only; its directory is
 * keyed by id, so two teams' volumes of one name never meet on disk. Which containers use a
 * volume is read from the team's containers' options (mounts), so nothing else needs updating.
 */
export class VolumeStore {
  /** Copy-on-write volumes (`create --from`): their layers, overlays and crash repair. */
  readonly layered: LayeredVolumes;

  constructor(private readonly d: VolumeStoreDeps) {
    this.layered = new LayeredVolumes(d);
  }

  private dirOf(id: string): string {
    return path.join(this.d.dir, id);
  }

  private find(teamId: string, name: string) {
    return this.d.db.volume.findUnique({ where: { teamId_name: { teamId, name } } });
  }

  /**
   * Where the team's volume `name` keeps its data (undefined: it has none). A copy-on-write
   * volume's overlay is mounted there first, and never while a snapshot is being taken.
   */
  async dataDirOf(teamId: string, name: string): Promise<string | undefined> {
    return this.layered.exclusive(async () => {
      const row = await this.find(teamId, name);
      if (!row) return undefined;
      await this.layered.ensureMounted(row.id, parseLayers(row.layers));
      return path.join(this.dirOf(row.id), "_data");
    });
  }

  /**
   * dataDirOf for a container's start: the volume is also held (a snapshot refuses it, as it
   * refuses a running container's) until `release`, once the container runs or failed to.
   */
  async holdDataDir(teamId: string, name: string): Promise<{ path: string; release: () => void } | undefined> {
    return this.layered.exclusive(async () => {
      const row = await this.find(teamId, name);
      if (!row) return undefined;
      await this.layered.ensureMounted(row.id, parseLayers(row.layers));
      return { path: path.join(this.dirOf(row.id), "_data"), release: this.layered.hold(row.id) };
    });
  }

  /** `volume create NAME --from SRC`: a copy-on-write snapshot of the team's volume SRC (see snapshot.ts). */
  async snapshot(teamId: string, source: string, name: string | undefined, labels: Record<string, string>): Promise<VolumeInfo> {
    return volumeInfo(await this.layered.snapshot(teamId, source, name ?? randomBytes(32).toString("hex"), labels));
  }

  /** Docker: creating a name that exists (in the team) returns the existing volume. */
  async create(name: string | undefined, labels: Record<string, string>, anonymous: boolean, teamId: string): Promise<VolumeInfo> {
    const n = name ?? randomBytes(32).toString("hex");
    const existing = await this.find(teamId, n);
    if (existing) return volumeInfo(existing);
    const id = randomBytes(32).toString("hex");
    const data = path.join(this.dirOf(id), "_data");
    await fs.mkdir(data, { recursive: true, mode: 0o755 });
    try {
      const row = await this.d.db.volume.create({ data: { id, name: n, hostId: this.d.hostId, labels: JSON.stringify(labels), anonymous, mountpoint: data, teamId } });
      this.d.log.info({ volume: n, id, team: teamId, anonymous }, "volume created");
      return volumeInfo(row);
    } catch (err) {
      await fs.rm(this.dirOf(id), { recursive: true, force: true });
      // Two creates of one name at once: the other one won, and that is the volume.
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
        const row = await this.find(teamId, n);
        if (row) return volumeInfo(row);
      }
      throw err;
    }
  }

  /** Ids of the team's containers (any state) whose mounts name the volume. */
  async usersOf(teamId: string, name: string): Promise<string[]> {
    const rows = await this.d.db.container.findMany({ where: { teamId, options: { contains: `"${name}"` } }, select: { id: true, options: true } });
    return rows.filter((r) => mountsOf(r.options).some((m) => m.type === "volume" && m.source === name)).map((r) => r.id);
  }

  /** One volume: refuses one in use (Docker's message); `force` only forgives a missing one. */
  async remove(teamId: string, name: string, force: boolean): Promise<boolean> {
    const row = await this.find(teamId, name);
    if (!row) {
      if (force) return false;
      throw new NotFound(noSuchVolume(name));
    }
    const users = await this.usersOf(teamId, name);
    if (users.length) throw new FailedPrecondition(`remove ${name}: volume is in use - [${users.join(", ")}]`);
    const layered = parseLayers(row.layers).length > 0;
    // Its frozen layers stay while another volume (a snapshot of it, or its source) reads them.
    await this.layered.exclusive(async () => {
      if (layered) await this.layered.unmountVolume(row.id);
      await this.d.db.volume.delete({ where: { id: row.id } });
      await fs.rm(this.dirOf(row.id), { recursive: true, force: true });
      if (layered) await this.layered.gcLayers();
    });
    this.d.log.info({ volume: name, id: row.id, team: teamId }, "volume removed");
    return true;
  }

  async removeMany(teamId: string, names: string[], force: boolean, quiet: boolean): Promise<VolumeRemoveResult> {
    const out: VolumeRemoveResult = { removed: [], errors: [] };
    for (const name of names) {
      try {
        if (await this.remove(teamId, name, force || quiet)) out.removed.push(name);
      } catch (e) {
        if (quiet) continue;
        const err = e as { kind?: string; message: string };
        out.errors.push({ name, kind: err.kind ?? "Internal", message: err.message });
      }
    }
    return out;
  }

  /** `rm -v` and `run --rm`: the anonymous volumes a container of the team had, unless another container uses them too. */
  async removeAnonymousOf(teamId: string, optionsJson: string): Promise<string[]> {
    const names = mountsOf(optionsJson).flatMap((m) => (m.type === "volume" && m.anonymous && m.source ? [m.source] : []));
    return names.length ? (await this.removeMany(teamId, names, true, true)).removed : [];
  }

  /** Bytes each of the team's volumes `names` holds on this host; names it has none of here are left out. */
  async sizes(teamId: string, names: string[]): Promise<Record<string, number>> {
    const rows = await this.d.db.volume.findMany({ where: { teamId, name: { in: names }, hostId: this.d.hostId } });
    const out: Record<string, number> = {};
    // A snapshot's size is its own writes; the data it shares is its source's.
    for (const r of rows) out[r.name] = await this.layered.ownBytes(r);
    return out;
  }

  /** Bytes the team's volumes on this host hold together (its disk quota): frozen layers they share count once. */
  async teamBytes(teamId: string): Promise<{ volumes: number; bytes: number }> {
    const rows = await this.d.db.volume.findMany({ where: { teamId, hostId: this.d.hostId } });
    return { volumes: rows.length, bytes: await this.layered.bytesOf(rows) };
  }

  /** The team's unused anonymous volumes (`all`: every unused volume of the team's) on this host. */
  async prune(teamId: string, all: boolean): Promise<VolumePruneResult> {
    const rows = await this.d.db.volume.findMany({ where: { hostId: this.d.hostId, teamId, ...(all ? {} : { anonymous: true }) } });
    const out: VolumePruneResult = { removed: [], spaceReclaimed: 0 };
    for (const r of rows) {
      if ((await this.usersOf(teamId, r.name)).length) continue;
      const size = await this.layered.ownBytes(r).catch(() => 0);
      if (await this.remove(teamId, r.name, true).catch(() => false)) {
        out.removed.push(r.name);
        out.spaceReclaimed += size;
      }
    }
    return out;
  }
}

