import { z } from "zod";
import { MountSpec, VolumeName } from "./mounts.js";

// ---- Volumes, mounts, cp and diff (on the host that owns the volume or container) ----------------
// Volumes live under $BERTH_HOME/volumes/<id>/_data on a worker's host, so every change to one
// (directory and row together) is a job on that host's queue; web only reads the rows. A volume
// belongs to a team and its name is unique within that team: every job names the team.

export const JOB_VOLUME = {
  volumeCreate: "volume.create",
  volumeRemove: "volume.remove",
  volumePrune: "volume.prune",
  /** Bytes each named volume of the host holds (the dashboard's volumes page, `system df -v`). */
  volumeUsage: "volume.usage",
  /** At container create: names anonymous volumes, adds the image's VOLUMEs, makes named ones, checks bind sources. */
  mountsPrepare: "container.mounts.prepare",
  containerArchiveGet: "container.archive.get",
  containerArchivePut: "container.archive.put",
  containerDiff: "container.diff",
  /** The dashboard's file browser: one directory of the container's filesystem. */
  containerList: "container.list-dir",
} as const;

const ContainerId = z.string().regex(/^[0-9a-f]{64}$/);
const BuildsFile = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tar$/, "a <uuid>.tar file name");
const TeamId = z.string().min(1).max(64);
const Labels = z.record(z.string().min(1).max(1024), z.string().max(64 * 1024)).default({});

/** What `volume inspect` prints (Docker's fields). */
export interface VolumeInfo {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Record<string, string>;
  Scope: "local";
  CreatedAt: string;
  Options: Record<string, string> | null;
}

/** `volume create [NAME]`: no name → 64 random hex digits. Creating an existing name returns it (Docker). */
/** `teamId`: the team the new volume belongs to (web checked the caller may act there). */
/** `from`: a copy-on-write snapshot of the team's volume of that name (on its host); NAME must then be new. */
export const VolumeCreateJob = z.object({ name: VolumeName.optional(), labels: Labels, anonymous: z.boolean().default(false), teamId: TeamId, from: VolumeName.optional() });
export type VolumeCreateJob = z.infer<typeof VolumeCreateJob>;

/** `volume rm [-f] NAME…`; `ifUnused`/`quiet`: `rm -v`'s clean-up of anonymous volumes (skip what is still in use or gone). */
export const VolumeRemoveJob = z.object({
  teamId: TeamId,
  names: z.array(VolumeName).min(1).max(1000),
  force: z.boolean().default(false),
  quiet: z.boolean().default(false),
});
export type VolumeRemoveJob = z.infer<typeof VolumeRemoveJob>;
export interface VolumeRemoveResult {
  removed: string[];
  /** One message per volume that could not be removed (Docker's wording). */
  errors: { name: string; kind: string; message: string }[];
}

/** `volume prune`: the team's unused anonymous volumes on this host; `all`: every unused one of the team's. */
export const VolumePruneJob = z.object({ teamId: TeamId, all: z.boolean().default(false) });
export type VolumePruneJob = z.infer<typeof VolumePruneJob>;
export interface VolumePruneResult {
  removed: string[];
  spaceReclaimed: number;
}

/** `volume.usage`: the size of each of the team's named volumes on this host (a name it does not hold is left out). */
export const VolumeUsageJob = z.object({ teamId: TeamId, names: z.array(VolumeName).min(1).max(1000) });
export type VolumeUsageJob = z.infer<typeof VolumeUsageJob>;
export interface VolumeUsageResult {
  /** Bytes under each volume's _data (apparent sizes, hard links once). */
  sizes: Record<string, number>;
}

/** A host path the site admin lets a team bind-mount (and everything under it). */
export const HostPathGrant = z.object({ path: z.string().min(1).max(4096).startsWith("/"), readOnly: z.boolean() });
export type HostPathGrant = z.infer<typeof HostPathGrant>;

/**
 * `hostPaths`: set when the caller is not the site admin: every bind source must then resolve
 * (symlinks and `..` followed on the host) to a granted path or below it.
 */
export const MountsPrepareJob = z.object({
  containerId: ContainerId,
  imageId: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  mounts: z.array(MountSpec).max(128),
  teamId: TeamId,
  hostPaths: z.array(HostPathGrant).max(1024).optional(),
});
export type MountsPrepareJob = z.infer<typeof MountsPrepareJob>;
export interface MountsPrepareResult {
  mounts: MountSpec[];
  /** The image declares VOLUMEs (an image id's config never changes: web remembers a no). */
  imageVolumes: boolean;
}

/** `cp CONTAINER:SRC -`: SRC as a tar (its base name as the top entry) in builds/<output>. */
export const ContainerArchiveGetJob = z.object({ containerId: ContainerId, path: z.string().min(1).max(4096), output: BuildsFile });
export type ContainerArchiveGetJob = z.infer<typeof ContainerArchiveGetJob>;
export interface ContainerArchiveGetResult {
  size: number;
  /** What SRC is, for the client's path rules (Docker's X-Docker-Container-Path-Stat). */
  stat: { name: string; mode: number; size: number; linkTarget: string; isDir: boolean };
}

/**
 * `cp SRC CONTAINER:DEST` / `cp - CONTAINER:DEST`: extracts builds/<archive> at DEST with Docker's
 * rules. `source` (absent for `-`): the archive's top entry `base` (null: the archive holds a
 * directory's contents, SRC/.) and whether it is a directory.
 */
export const ContainerArchivePutJob = z.object({
  containerId: ContainerId,
  path: z.string().min(1).max(4096),
  archive: BuildsFile,
  source: z.object({ base: z.string().min(1).max(255).nullable(), isDir: z.boolean() }).optional(),
});
export type ContainerArchivePutJob = z.infer<typeof ContainerArchivePutJob>;

export const ContainerDiffJob = z.object({ containerId: ContainerId });
export type ContainerDiffJob = z.infer<typeof ContainerDiffJob>;
export const ContainerListJob = z.object({ containerId: ContainerId, path: z.string().min(1).max(4096) });
export type ContainerListJob = z.infer<typeof ContainerListJob>;
/** One entry of a directory inside a container (lstat: a symlink is itself, with its target). */
export interface ContainerDirEntry {
  name: string;
  type: "dir" | "file" | "link" | "other";
  size: number;
  mode: number;
  mtime: string;
  linkTarget?: string;
}
export interface ContainerListResult {
  /** The directory, cleaned (absolute, no "..": resolved inside the container's root). */
  path: string;
  entries: ContainerDirEntry[];
  /** More entries than MAX_DIR_ENTRIES: the rest were left out. */
  truncated: boolean;
}
export const MAX_DIR_ENTRIES = 5000;

/** Kind 0: changed (C), 1: added (A), 2: deleted (D), as Docker's API. */
export interface ContainerChange {
  Path: string;
  Kind: 0 | 1 | 2;
}
