import {
  ContainerOptions,
  JOB_VOLUME,
  NotFound,
  Unavailable,
  type ContainerOptions as Options,
  type HostPathGrant,
  type MountSpec,
  type MountsPrepareResult,
  type VolumeInfo,
  type VolumePruneResult,
  type VolumeRemoveResult,
  type VolumeUsageResult,
} from "@berth/core";
import type { Db } from "@berth/core/db";
import type { Services } from "../services.js";
import { HOST_ONLINE_MS, pickHost } from "../hosts.js";
import { runHostJob } from "../images/jobs.js";
import { volumeEvent } from "../events/publish.js";
import { checkDiskQuota } from "../teams/disk.js";

/**
 * Volumes as web sees them: it reads the rows, and every change goes to the worker of the
 * volume's host as a job (the directory lives there, under its BERTH_HOME). A volume belongs to
 * a team and its name is unique within it: every read is of the caller's team only, so another
 * team's volume answers exactly as one that does not exist.
 */

/** Docker's words for a volume that is not there. */
export const noSuchVolume = (name: string) => `No such volume: ${name}`;

function info(v: Db.Volume): VolumeInfo {
  return { Name: v.name, Driver: v.driver, Mountpoint: v.mountpoint, Labels: JSON.parse(v.labels) as Record<string, string>, Scope: "local", CreatedAt: v.createdAt.toISOString(), Options: null };
}

async function anyHost(s: Services): Promise<string> {
  const host = await pickHost(s.db);
  if (!host) throw new Unavailable("no worker host is online: start one with npm start");
  return host.id;
}

const mountsOf = (options: string): MountSpec[] => {
  try {
    return ContainerOptions.parse(JSON.parse(options)).mounts;
  } catch {
    return [];
  }
};

/** Names of the team's volumes some container of the team (any state) mounts. */
async function volumesInUse(s: Services, teamId: string): Promise<Set<string>> {
  const rows = await s.db.container.findMany({ where: { teamId }, select: { options: true } });
  return new Set(rows.flatMap((r) => mountsOf(r.options).flatMap((m) => (m.type === "volume" && m.source ? [m.source] : []))));
}

/**
 * `volume create NAME --from SRC`: a copy-on-write snapshot of the team's volume SRC, made on
 * SRC's host (another team's SRC answers as one that does not exist). NAME must be new.
 */
export async function snapshotVolume(s: Services, teamId: string, from: string, name: string | undefined, labels: Record<string, string>): Promise<VolumeInfo> {
  const src = await s.db.volume.findUnique({ where: { teamId_name: { teamId, name: from } }, select: { hostId: true } });
  if (!src) throw new NotFound(noSuchVolume(from));
  await checkDiskQuota(s, teamId);
  const v = await runHostJob<VolumeInfo>(s, JOB_VOLUME.volumeCreate, { ...(name ? { name } : {}), labels, teamId, from }, { hostId: src.hostId, timeoutMs: 30_000 });
  await volumeEvent(s, "volume.create", v.Name, teamId);
  return v;
}

export async function createVolume(s: Services, teamId: string, name: string | undefined, labels: Record<string, string>): Promise<VolumeInfo> {
  const existing = name ? await s.db.volume.findUnique({ where: { teamId_name: { teamId, name } } }) : null;
  // A new volume is new disk: refused to a team at its disk quota, as a new image is.
  if (!existing) await checkDiskQuota(s, teamId);
  const hostId = existing?.hostId ?? (await anyHost(s));
  const v = await runHostJob<VolumeInfo>(s, JOB_VOLUME.volumeCreate, { ...(name ? { name } : {}), labels, teamId }, { hostId, timeoutMs: 30_000 });
  await volumeEvent(s, "volume.create", v.Name, teamId);
  return v;
}

export interface VolumeFilters {
  dangling?: boolean;
  name?: string[];
  label?: string[];
}

/** `volume ls` with docker's filters: dangling=true|false, name=SUBSTRING, label=KEY[=VALUE]. */
export async function listVolumes(s: Services, teamId: string, f: VolumeFilters = {}): Promise<VolumeInfo[]> {
  const rows = await s.db.volume.findMany({ where: { teamId }, orderBy: { name: "asc" } });
  const used = f.dangling !== undefined ? await volumesInUse(s, teamId) : undefined;
  return rows
    .filter((v) => used === undefined || used.has(v.name) !== f.dangling)
    .filter((v) => !f.name?.length || f.name.some((n) => v.name.includes(n)))
    .filter((v) => {
      if (!f.label?.length) return true;
      const labels = JSON.parse(v.labels) as Record<string, string>;
      return f.label.every((l) => {
        const [k, val] = l.split("=", 2) as [string, string?];
        return k in labels && (val === undefined || labels[k] === val);
      });
    })
    .map(info);
}

export interface VolumeUsage {
  name: string;
  /** Bytes it holds; null when its host did not answer (offline, or the job failed: `error` says why). */
  size: number | null;
  error?: string;
  /** The team's containers (any state) that mount it. */
  containers: { id: string; name: string; state: string }[];
}

/**
 * The size of each of the team's volumes (a job on each volume's host) and which of the team's
 * containers mount it: the dashboard's volumes page. A host that fails leaves its sizes null.
 */
export async function volumeUsage(s: Services, teamId: string): Promise<VolumeUsage[]> {
  const [rows, containers] = await Promise.all([
    s.db.volume.findMany({ where: { teamId }, select: { name: true, hostId: true }, orderBy: { name: "asc" } }),
    s.db.container.findMany({ where: { teamId }, select: { id: true, name: true, state: true, options: true }, orderBy: { createdAt: "asc" } }),
  ]);
  const byHost = new Map<string, string[]>();
  for (const r of rows) byHost.set(r.hostId, [...(byHost.get(r.hostId) ?? []), r.name]);
  const sizes = new Map<string, number>();
  const errors = new Map<string, string>();
  const online = new Set((await s.db.host.findMany({ where: { id: { in: [...byHost.keys()] }, lastSeenAt: { gte: new Date(Date.now() - HOST_ONLINE_MS) } }, select: { id: true } })).map((h) => h.id));
  await Promise.all(
    [...byHost].map(async ([hostId, names]) => {
      // A job for a host that is down would only wait for its timeout.
      if (!online.has(hostId)) {
        for (const n of names) errors.set(n, `host ${hostId} is offline`);
        return;
      }
      try {
        const r = await runHostJob<VolumeUsageResult>(s, JOB_VOLUME.volumeUsage, { teamId, names }, { hostId, timeoutMs: 60_000 });
        for (const [n, b] of Object.entries(r.sizes)) sizes.set(n, b);
      } catch (err) {
        for (const n of names) errors.set(n, `host ${hostId}: ${(err as Error).message}`);
      }
    }),
  );
  const users = new Map<string, VolumeUsage["containers"]>();
  for (const c of containers) {
    for (const m of mountsOf(c.options)) {
      if (m.type !== "volume" || !m.source) continue;
      const list = users.get(m.source) ?? [];
      if (!list.some((u) => u.id === c.id)) list.push({ id: c.id, name: c.name, state: c.state });
      users.set(m.source, list);
    }
  }
  return rows.map((r) => ({ name: r.name, size: sizes.get(r.name) ?? null, ...(errors.has(r.name) ? { error: errors.get(r.name)! } : {}), containers: users.get(r.name) ?? [] }));
}

export async function inspectVolumes(s: Services, teamId: string, names: string[]): Promise<VolumeInfo[]> {
  const out: VolumeInfo[] = [];
  for (const n of names) {
    const v = await s.db.volume.findFirst({ where: { name: n, teamId } });
    if (!v) throw new NotFound(noSuchVolume(n));
    out.push(info(v));
  }
  return out;
}

/** `volume rm`: each on its host; the first refusal is the error (after the others went), as docker reports each. */
export async function removeVolumes(s: Services, teamId: string, names: string[], force: boolean): Promise<VolumeRemoveResult> {
  const rows = await s.db.volume.findMany({ where: { name: { in: names }, teamId }, select: { name: true, hostId: true } });
  const hostOf = new Map(rows.map((r) => [r.name, r.hostId]));
  const out: VolumeRemoveResult = { removed: [], errors: [] };
  for (const name of names) {
    const hostId = hostOf.get(name);
    if (!hostId) {
      if (!force) out.errors.push({ name, kind: "NotFound", message: noSuchVolume(name) });
      continue;
    }
    const r = await runHostJob<VolumeRemoveResult>(s, JOB_VOLUME.volumeRemove, { teamId, names: [name], force }, { hostId, timeoutMs: 120_000 });
    for (const gone of r.removed) await volumeEvent(s, "volume.destroy", gone, teamId);
    out.removed.push(...r.removed);
    out.errors.push(...r.errors);
  }
  return out;
}

/** `volume prune`: the team's unused volumes only, on every host that holds one of them. */
export async function pruneVolumes(s: Services, teamId: string, all: boolean): Promise<VolumePruneResult> {
  const hosts = [...new Set((await s.db.volume.findMany({ where: { teamId }, select: { hostId: true } })).map((v) => v.hostId))];
  const out: VolumePruneResult = { removed: [], spaceReclaimed: 0 };
  for (const hostId of hosts) {
    const r = await runHostJob<VolumePruneResult>(s, JOB_VOLUME.volumePrune, { teamId, all }, { hostId, timeoutMs: 600_000 });
    for (const gone of r.removed) await volumeEvent(s, "volume.destroy", gone, teamId);
    out.removed.push(...r.removed);
    out.spaceReclaimed += r.spaceReclaimed;
  }
  return out;
}

/** Image ids whose config declares no VOLUME (immutable per id). */
const imagesWithoutVolumes = new Set<string>();

/**
 * At `run`/`create`, before the container's row exists: the host adds the image's VOLUMEs,
 * checks bind sources and makes the volumes, so a bad mount leaves no container behind.
 * `hostPaths` (callers other than the site admin): the team's granted host paths, which every
 * bind source must resolve into on the host.
 */
export async function prepareMounts(s: Services, teamId: string, hostId: string, containerId: string, imageId: string, options: Options | undefined, hostPaths?: HostPathGrant[]): Promise<Options | undefined> {
  // No mounts asked and an image known to have no VOLUMEs: nothing for the host to do (saves a job per run).
  if (!options?.mounts?.length && imagesWithoutVolumes.has(imageId)) return options;
  const named = (options?.mounts ?? []).flatMap((m) => (m.type === "volume" && m.source ? [m.source] : []));
  if (named.length) {
    const have = await s.db.volume.count({ where: { teamId, name: { in: named } } });
    if (have < new Set(named).size) await checkDiskQuota(s, teamId);
  }
  const r = await runHostJob<MountsPrepareResult>(s, JOB_VOLUME.mountsPrepare, { containerId, imageId, mounts: options?.mounts ?? [], teamId, hostPaths }, { hostId, timeoutMs: 600_000 });
  if (!r.imageVolumes && imagesWithoutVolumes.size < 10_000) imagesWithoutVolumes.add(imageId);
  if (r.mounts.length === 0) return options;
  return { ...(options ?? ContainerOptions.parse({})), mounts: r.mounts };
}

/** `rm -v`: the container's anonymous volumes go too (those no other container uses). */
export async function removeAnonymousVolumes(s: Services, c: Db.Container): Promise<void> {
  const names = mountsOf(c.options).flatMap((m) => (m.type === "volume" && m.anonymous && m.source ? [m.source] : []));
  if (!names.length) return;
  await runHostJob<VolumeRemoveResult>(s, JOB_VOLUME.volumeRemove, { teamId: c.teamId, names, quiet: true }, { hostId: c.hostId, timeoutMs: 120_000 }).catch((err: Error) => {
    s.log.warn({ err: err.message, id: c.id }, "rm -v: removing anonymous volumes failed");
  });
}

/** Docker's `Mounts` of `inspect` (a volume is the container's team's of that name). */
export async function dockerMounts(s: Services, teamId: string, options: string): Promise<Record<string, unknown>[]> {
  const mounts = mountsOf(options);
  const names = mounts.flatMap((m) => (m.type === "volume" && m.source ? [m.source] : []));
  const rows = names.length ? await s.db.volume.findMany({ where: { teamId, name: { in: names } }, select: { name: true, mountpoint: true } }) : [];
  const where = new Map(rows.map((r) => [r.name, r.mountpoint]));
  return mounts.map((m) => {
    if (m.type === "bind") return { Type: "bind", Source: m.source, Destination: m.target, Mode: m.readOnly ? "ro" : "", RW: !m.readOnly, Propagation: "rprivate" };
    if (m.type === "volume") return { Type: "volume", Name: m.source ?? "", Source: where.get(m.source ?? "") ?? "", Destination: m.target, Driver: "local", Mode: m.readOnly ? "ro" : "z", RW: !m.readOnly, Propagation: "" };
    return { Type: "tmpfs", Source: "", Destination: m.target, Mode: "", RW: !m.readOnly, Propagation: "" };
  });
}


/** `inspect` with Docker's `Mounts`, and `HostConfig.Binds` / `HostConfig.Tmpfs` as `-v` and `--tmpfs` would give them. */
export async function withMounts(s: Services, c: Db.Container, base: Record<string, unknown>): Promise<Record<string, unknown>> {
  const mounts = mountsOf(c.options);
  const binds = mounts.flatMap((m) => (m.type !== "tmpfs" && m.source ? [`${m.source}:${m.target}${m.readOnly ? ":ro" : ""}`] : []));
  const tmpfs = Object.fromEntries(
    mounts.flatMap((m) => (m.type === "tmpfs" ? [[m.target, [m.size !== undefined ? `size=${m.size}` : "", m.mode !== undefined ? `mode=${m.mode.toString(8)}` : "", m.readOnly ? "ro" : ""].filter(Boolean).join(",")]] : [])),
  );
  const hostConfig = { ...(base.HostConfig as Record<string, unknown> | undefined), Binds: binds.length ? binds : null, ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}) };
  return { ...base, HostConfig: hostConfig, Mounts: await dockerMounts(s, c.teamId, c.options) };
}
