import { FailedPrecondition, JOB_QUOTA, NotFound, Unavailable, type TeamVolumeBytesResult } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import type { Services } from "../services.js";
import { runHostJob } from "../images/jobs.js";
import { HOST_ONLINE_MS } from "../hosts.js";
import { formatSize } from "./quota.js";

/**
 * A team's disk, as its disk quota counts it: the images it holds a tag on, its volumes'
 * bytes (measured on their hosts), the blobs of its registry repositories (each digest once)
 * and the registry uploads in progress into them. Shared base images are nobody's.
 */

export interface DiskUse {
  images: number;
  volumes: number;
  registry: number;
  uploads: number;
  total: number;
}

/** Measures a team's volumes (the worker of each host holding one answers for it). */
export type VolumeBytes = (teamId: string) => Promise<number>;

export function volumeBytesOf(s: Services): VolumeBytes {
  return async (teamId) => {
    const rows = await s.db.volume.groupBy({ by: ["hostId"], where: { teamId } });
    if (rows.length === 0) return 0;
    const hosts = await s.db.host.findMany({ where: { id: { in: rows.map((r) => r.hostId) } }, select: { id: true, name: true, lastSeenAt: true } });
    let bytes = 0;
    for (const h of hosts) {
      if (!h.lastSeenAt || h.lastSeenAt.getTime() < Date.now() - HOST_ONLINE_MS) {
        throw new Unavailable(`cannot measure the team's volumes on host ${h.name} for its disk quota: the host is offline`);
      }
      bytes += (await runHostJob<TeamVolumeBytesResult>(s, JOB_QUOTA.teamVolumeBytes, { teamId }, { hostId: h.id, timeoutMs: 120_000 })).bytes;
    }
    return bytes;
  };
}

/** Bytes of the distinct images the team holds a tag on (shared base images are not theirs). */
export async function imageDiskUse(db: PrismaClient, teamId: string): Promise<number> {
  const images = await db.image.findMany({ where: { tags: { some: { teamId } } }, select: { size: true } });
  // Summed as BigInt (one image may pass 2^31); a number is exact up to 2^53 bytes (8 PiB).
  return Number(images.reduce((sum, i) => sum + i.size, 0n));
}

/** Bytes of the blobs in the team's registry repositories (a digest held by two of them counts once). */
export async function registryDiskUse(db: PrismaClient, teamId: string): Promise<number> {
  const blobs = await db.repoBlob.findMany({ where: { repository: { teamId } }, select: { digest: true, size: true } });
  const sizes = new Map(blobs.map((b) => [b.digest, Number(b.size)]));
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

export async function teamDiskUse(db: PrismaClient, team: { id: string; name: string }, volumeBytes: VolumeBytes, exceptUpload?: string): Promise<DiskUse> {
  const [images, volumes, registry, ups] = await Promise.all([
    imageDiskUse(db, team.id),
    volumeBytes(team.id),
    registryDiskUse(db, team.id),
    db.blobUpload.findMany({ where: { repository: { startsWith: `${team.name}/` }, ...(exceptUpload ? { id: { not: exceptUpload } } : {}) }, select: { size: true } }),
  ]);
  const uploads = ups.reduce((n, u) => n + Number(u.size), 0);
  return { images, volumes, registry, uploads, total: images + volumes + registry + uploads };
}

/** A team's disk quota and what it uses now; undefined when it has no disk quota. */
export async function diskRoom(db: PrismaClient, teamId: string, volumeBytes: VolumeBytes, exceptUpload?: string): Promise<{ team: string; quota: number; use: DiskUse } | undefined> {
  const t = await db.team.findUnique({ where: { id: teamId }, select: { id: true, name: true, maxDisk: true } });
  if (!t) throw new NotFound("team not found");
  if (t.maxDisk === null) return undefined;
  return { team: t.name, quota: Number(t.maxDisk), use: await teamDiskUse(db, t, volumeBytes, exceptUpload) };
}

/** A measured size, shortly (the quota itself is shown as the admin typed it). */
export function humanSize(n: number): string {
  const units = ["b", "k", "m", "g", "t"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)}${units[i]}`;
}

/** What the team's bytes are, for a refusal ("images 3m, volumes 1m, registry 2m"). */
export function describeUse(u: DiskUse): string {
  const parts = (["images", "volumes", "registry", "uploads"] as const).filter((k) => u[k] > 0).map((k) => `${k} ${humanSize(u[k])}`);
  return parts.length ? parts.join(", ") : "nothing";
}

/**
 * Refuses a new image (build, commit, load, import, pull) to a team already at its disk quota.
 * An image's size is known only once it is made, so the check is "at or over", not "would go over".
 */
export async function checkDiskQuota(s: Services, teamId: string): Promise<void> {
  const room = await diskRoom(s.db, teamId, volumeBytesOf(s));
  if (!room || room.use.total < room.quota) return;
  throw new FailedPrecondition(
    `team ${room.team} is at its disk quota of ${formatSize(room.quota)}: it holds ${humanSize(room.use.total)} (${describeUse(room.use)}); remove some (berth rmi, berth volume rm) or ask the site admin to raise it (berth team quota ${room.team} --disk SIZE)`,
  );
}
