import { FailedPrecondition, NotFound, type ContainerOptions } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";

/**
 * Per-team quotas, set by the site admin (null: no limit). A container counts from its
 * creation until it exits (created, running, restarting): a created one is about to run, so
 * counting it keeps two quick `run -d`s from both slipping under the limit. Memory and CPUs
 * add up the containers' own limits; in a team with a memory (CPU) quota a container must
 * state its limit (-m / --cpus), since an unlimited one could take the whole host.
 */

export interface Quota {
  containers: number | null;
  memory: number | null;
  cpus: number | null;
  disk: number | null;
}

export const LIVE_STATES = ["created", "running", "restarting"];

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
/** Sizes as the user typed them (2g, 512m). */
export function formatSize(bytes: number): string {
  if (bytes > 0 && bytes % GIB === 0) return `${bytes / GIB}g`;
  if (bytes > 0 && bytes % MIB === 0) return `${bytes / MIB}m`;
  if (bytes > 0 && bytes % 1024 === 0) return `${bytes / 1024}k`;
  return `${bytes}b`;
}

export async function readQuota(db: PrismaClient, teamId: string): Promise<Quota> {
  const t = await db.team.findUnique({ where: { id: teamId }, select: { maxContainers: true, maxMemory: true, maxCpus: true, maxDisk: true } });
  if (!t) throw new NotFound("team not found");
  return { containers: t.maxContainers, memory: t.maxMemory === null ? null : Number(t.maxMemory), cpus: t.maxCpus, disk: t.maxDisk === null ? null : Number(t.maxDisk) };
}

/** `team quota NAME --containers …`: undefined keeps a limit, null removes it. */
export async function setQuota(db: PrismaClient, teamName: string, q: Partial<Quota>): Promise<Quota & { team: string }> {
  const t = await db.team.findUnique({ where: { name: teamName }, select: { id: true } });
  if (!t) throw new NotFound(`team ${teamName} not found`);
  const big = (v: number | null | undefined) => (v === undefined ? undefined : v === null ? null : BigInt(v));
  await db.team.update({ where: { id: t.id }, data: { maxContainers: q.containers, maxMemory: big(q.memory), maxCpus: q.cpus, maxDisk: big(q.disk) } });
  return { team: teamName, ...(await readQuota(db, t.id)) };
}

export interface QuotaUse {
  containers: number;
  memory: number;
  cpus: number;
}

/** What the team's live containers hold now (`except`: the one about to start again). */
export async function quotaUse(db: PrismaClient, teamId: string, except?: string): Promise<QuotaUse> {
  const rows = await db.container.findMany({ where: { teamId, state: { in: LIVE_STATES }, ...(except ? { id: { not: except } } : {}) }, select: { options: true } });
  let memory = 0;
  let cpus = 0;
  for (const r of rows) {
    const o = JSON.parse(r.options || "{}") as ContainerOptions;
    memory += o.memory ?? 0;
    cpus += o.cpus ?? 0;
  }
  return { containers: rows.length, memory, cpus };
}

/**
 * Refuses a container that would take team `team` over a quota: called before anything is
 * made (volumes, the row, the job), so a refusal leaves nothing behind.
 */
export async function checkContainerQuota(db: PrismaClient, teamId: string, options: ContainerOptions | undefined, except?: string): Promise<void> {
  const team = await db.team.findUnique({ where: { id: teamId }, select: { name: true } });
  if (!team) throw new NotFound("team not found");
  const q = await readQuota(db, teamId);
  if (q.containers === null && q.memory === null && q.cpus === null) return;
  const use = await quotaUse(db, teamId, except);
  const where = `team ${team.name}`;
  if (q.containers !== null && use.containers + 1 > q.containers) {
    throw new FailedPrecondition(`${where} is at its quota of ${q.containers} running container(s): stop or remove one first, or ask the site admin to raise it (berth team quota ${team.name} --containers N)`);
  }
  if (q.memory !== null) {
    const mem = options?.memory;
    if (mem === undefined) throw new FailedPrecondition(`${where} has a memory quota of ${formatSize(q.memory)}: give the container a memory limit with -m (e.g. -m 256m)`);
    if (use.memory + mem > q.memory) {
      throw new FailedPrecondition(`${where} would go over its memory quota of ${formatSize(q.memory)}: its running containers hold ${formatSize(use.memory)} and this one asks for ${formatSize(mem)}`);
    }
  }
  if (q.cpus !== null) {
    const c = options?.cpus;
    if (c === undefined) throw new FailedPrecondition(`${where} has a CPU quota of ${q.cpus}: give the container a CPU limit with --cpus (e.g. --cpus 0.5)`);
    if (use.cpus + c > q.cpus + 1e-9) {
      throw new FailedPrecondition(`${where} would go over its CPU quota of ${q.cpus}: its running containers hold ${use.cpus} CPUs and this one asks for ${c}`);
    }
  }
}
