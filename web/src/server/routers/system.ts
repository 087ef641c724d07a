/**
 * `docker version` and `docker info`'s server side: what this Berth is and what it holds. Field
 * names are Docker's (`docker info --format '{{.ContainersRunning}}'` works the same on both).
 */
import fs from "node:fs/promises";
import os from "node:os";
import { BERTH_VERSION, config, type HostResources } from "@berth/core";
import { router, selfProcedure, teamProcedure } from "../trpc.js";
import { toSummary } from "../containers/summary.js";
import { resourcesOf } from "../hosts.js";

/** What the overview shows of a host's last sample: its CPUs, 1-minute load, CPU busy share, memory in use. */
function sampleOf(r: HostResources | undefined) {
  return r ? { cpus: r.cpus, load1: r.load1, cpuUsage: r.cpuUsage, memTotal: r.memTotal, memUsed: r.memTotal - r.memAvailable, time: r.time } : null;
}

/** Go's GOARCH names, as Docker prints OS/Arch. */
const GOARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };
export const goArch = (arch: string) => GOARCH[arch] ?? arch;

async function operatingSystem(): Promise<string> {
  const text = await fs.readFile("/etc/os-release", "utf8").catch(() => "");
  return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? os.type();
}

/** MemAvailable (what can be had without swapping), which free memory understates: the page cache counts as used. */
async function memAvailableBytes(): Promise<number | undefined> {
  const text = await fs.readFile("/proc/meminfo", "utf8").catch(() => "");
  const kb = /^MemAvailable:\s+(\d+) kB$/m.exec(text)?.[1];
  return kb ? Number(kb) * 1024 : undefined;
}

async function cgroupVersion(): Promise<string> {
  return (await fs.access("/sys/fs/cgroup/cgroup.controllers").then(() => true, () => false)) ? "2" : "1";
}

export const systemRouter = router({
  version: selfProcedure.query(() => ({
    Version: BERTH_VERSION,
    NodeVersion: process.version,
    Os: process.platform,
    Arch: goArch(process.arch),
    KernelVersion: os.release(),
  })),

  // Counts are the current team's (its containers; its own tags and the shared bases), as the rest of the API.
  info: teamProcedure("container.read").query(async ({ ctx }) => {
    const { db } = ctx.services;
    const teamId = ctx.actor.team.id;
    const [rows, images, hosts, osName, cgroup] = await Promise.all([
      db.container.findMany({ where: { teamId }, include: { runtime: true } }),
      db.image.count({ where: { tags: { some: { OR: [{ teamId }, { teamId: null }] } } } }),
      db.host.findMany({ orderBy: { createdAt: "asc" } }),
      operatingSystem(),
      cgroupVersion(),
    ]);
    const containers = rows.map(toSummary);
    const running = containers.filter((c) => c.state === "running" && !c.paused).length;
    const paused = containers.filter((c) => c.paused).length;
    return {
      ID: hosts[0]?.id ?? "",
      Name: os.hostname(),
      ServerVersion: BERTH_VERSION,
      Containers: containers.length,
      ContainersRunning: running,
      ContainersPaused: paused,
      ContainersStopped: containers.length - running - paused,
      Images: images,
      Driver: "overlayfs",
      CgroupDriver: "cgroupfs",
      CgroupVersion: cgroup,
      KernelVersion: os.release(),
      OperatingSystem: osName,
      OSType: process.platform,
      Architecture: os.machine(),
      NCPU: os.cpus().length,
      MemTotal: os.totalmem(),
      DockerRootDir: config().home,
      Hosts: hosts.length,
    };
  }),

  /**
   * The dashboard's overview: this host's load, memory and the disk Berth keeps its data on
   * (statfs of BERTH_HOME), and each host with the team's containers on it.
   */
  usage: teamProcedure("container.read").query(async ({ ctx }) => {
    const { db } = ctx.services;
    const teamId = ctx.actor.team.id;
    const [hosts, perHost, disk, memAvailable] = await Promise.all([
      db.host.findMany({ orderBy: { createdAt: "asc" } }),
      db.container.groupBy({ by: ["hostId", "state"], where: { teamId }, _count: { _all: true } }),
      fs.statfs(config().home).catch(() => undefined),
      memAvailableBytes(),
    ]);
    const res = await resourcesOf(ctx.services, hosts.map((h) => h.id));
    const count = (hostId: string, state?: string) => perHost.filter((r) => r.hostId === hostId && (!state || r.state === state)).reduce((n, r) => n + r._count._all, 0);
    return {
      cpus: os.cpus().length,
      load: os.loadavg(),
      memTotal: os.totalmem(),
      memUsed: os.totalmem() - (memAvailable ?? os.freemem()),
      disk: disk ? { total: disk.blocks * disk.bsize, used: (disk.blocks - disk.bfree) * disk.bsize, path: config().home } : null,
      hosts: hosts.map((h) => ({ id: h.id, name: h.name, lastSeenAt: h.lastSeenAt.toISOString(), containers: count(h.id), running: count(h.id, "running"), resources: sampleOf(res.get(h.id)) })),
    };
  }),
});
