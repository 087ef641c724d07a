import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { FailedPrecondition, NotFound, ContainerOptions, type Logger, type VolumeInfo, type VolumeRemoveResult, type VolumePruneResult } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { Prisma } from "@berth/core/db";
import { du } from "../images/index.js";

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

/**
 * The volumes of this host: a row and `<dir>/<name>/_data` made and removed together, here only.
 * Which containers use a volume is read from their options (mounts), so nothing else needs updating.
 */
export class VolumeStore {
  constructor(private readonly d: VolumeStoreDeps) {}

  dataDir(name: string): string {
    return path.join(this.d.dir, name, "_data");
  }

  /** Docker: creating a name that exists returns the existing volume. */
  async create(name: string | undefined, labels: Record<string, string> = {}, anonymous = false, teamId?: string): Promise<VolumeInfo> {
    const n = name ?? randomBytes(32).toString("hex");
    const existing = await this.d.db.volume.findUnique({ where: { name: n } });
    if (existing) return volumeInfo(existing);
    const data = this.dataDir(n);
    await fs.mkdir(data, { recursive: true, mode: 0o755 });
    try {
      const row = await this.d.db.volume.create({ data: { name: n, hostId: this.d.hostId, labels: JSON.stringify(labels), anonymous, mountpoint: data, teamId: teamId ?? null } });
      this.d.log.info({ volume: n, anonymous }, "volume created");
      return volumeInfo(row);
    } catch (err) {
      // Two creates of one name at once: the other one won, and that is the volume.
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
        const row = await this.d.db.volume.findUnique({ where: { name: n } });
        if (row) return volumeInfo(row);
      }
      throw err;
    }
  }

  /** Ids of the containers (any state) whose mounts name the volume. */
  async usersOf(name: string): Promise<string[]> {
    const rows = await this.d.db.container.findMany({ where: { options: { contains: `"${name}"` } }, select: { id: true, options: true } });
    return rows.filter((r) => mountsOf(r.options).some((m) => m.type === "volume" && m.source === name)).map((r) => r.id);
  }

  /** One volume: refuses one in use (Docker's message); `force` only forgives a missing one. */
  async remove(name: string, force: boolean): Promise<boolean> {
    const row = await this.d.db.volume.findUnique({ where: { name } });
    if (!row) {
      if (force) return false;
      throw new NotFound(`get ${name}: no such volume`);
    }
    const users = await this.usersOf(name);
    if (users.length) throw new FailedPrecondition(`remove ${name}: volume is in use - [${users.join(", ")}]`);
    await this.d.db.volume.delete({ where: { name } });
    await fs.rm(path.join(this.d.dir, name), { recursive: true, force: true });
    this.d.log.info({ volume: name }, "volume removed");
    return true;
  }

  async removeMany(names: string[], force: boolean, quiet: boolean): Promise<VolumeRemoveResult> {
    const out: VolumeRemoveResult = { removed: [], errors: [] };
    for (const name of names) {
      try {
        if (await this.remove(name, force || quiet)) out.removed.push(name);
      } catch (e) {
        if (quiet) continue;
        const err = e as { kind?: string; message: string };
        out.errors.push({ name, kind: err.kind ?? "Internal", message: err.message });
      }
    }
    return out;
  }

  /** `rm -v` and `run --rm`: the anonymous volumes a container had, unless another container uses them too. */
  async removeAnonymousOf(optionsJson: string): Promise<string[]> {
    const names = mountsOf(optionsJson).flatMap((m) => (m.type === "volume" && m.anonymous && m.source ? [m.source] : []));
    return names.length ? (await this.removeMany(names, true, true)).removed : [];
  }

  /** Bytes each of `names` holds on this host; names of other hosts (no row here) are left out. */
  async sizes(names: string[]): Promise<Record<string, number>> {
    const rows = await this.d.db.volume.findMany({ where: { name: { in: names }, hostId: this.d.hostId }, select: { name: true } });
    const out: Record<string, number> = {};
    for (const r of rows) out[r.name] = await du(this.dataDir(r.name));
    return out;
  }

  /** Unused anonymous volumes (`all`: every unused volume) of this host. */
  async prune(all: boolean): Promise<VolumePruneResult> {
    const rows = await this.d.db.volume.findMany({ where: { hostId: this.d.hostId, ...(all ? {} : { anonymous: true }) } });
    const out: VolumePruneResult = { removed: [], spaceReclaimed: 0 };
    for (const r of rows) {
      if ((await this.usersOf(r.name)).length) continue;
      const size = await duSize(path.join(this.d.dir, r.name)).catch(() => 0);
      if (await this.remove(r.name, true).catch(() => false)) {
        out.removed.push(r.name);
        out.spaceReclaimed += size;
      }
    }
    return out;
  }
}

export function mountsOf(optionsJson: string) {
  try {
    return ContainerOptions.parse(JSON.parse(optionsJson)).mounts;
  } catch {
    return [];
  }
}

async function duSize(p: string): Promise<number> {
  const st = await fs.lstat(p);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of await fs.readdir(p)) n += await duSize(path.join(p, e));
  return n;
}
