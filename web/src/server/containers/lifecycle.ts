import { constants } from "node:os";
import {
  AlreadyExists,
  publishEvent,
  FailedPrecondition,
  InvalidArgument,
  JOB,
  JOB_LIFECYCLE,
  type ContainerEvent,
  type ContainerOptions,
  type ContainerKillJob,
  type ContainerRemoveJob,
  type ContainerStartJob,
  type ContainerStopJob,
  type ContainerStopResult,
  type ImageInspectResult,
} from "@berth/core";
import { Prisma } from "@berth/core/db";
import type { Services } from "../services.js";
import { runHostJob } from "../images/jobs.js";
import { containerStopSettings } from "./stop-settings.js";
import { resolveContainer } from "./resolve.js";
import { CONTAINER_NAME } from "./run.js";
import { announceRestart } from "./log-read.js";
import { containerEvent } from "../events/publish.js";
import { forgetContainer } from "../edge/links.js";
import { checkContainerQuota } from "../teams/quota.js";

/** Docker's signal syntax: "KILL", "SIGKILL", "kill", "9". */
export function parseSignal(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = ("SIG" + t.toUpperCase().replace(/^SIG/, "")) as keyof typeof constants.signals;
    const n = constants.signals[name];
    if (typeof n === "number") return n;
  }
  throw new InvalidArgument(`invalid signal: ${text}`);
}

async function publish(s: Services, type: ContainerEvent["type"], id: string, hostId: string, teamId: string) {
  const ev: ContainerEvent = { type, id, hostId, teamId, time: new Date().toISOString() };
  await publishEvent(s.redis, ev, (err) => s.log.warn({ err: err.message, id }, `could not publish ${type}`));
}

/** The image's StopSignal, when its config names one; SIGTERM otherwise. */
async function stopSignalOf(s: Services, imageId: string, hostId: string): Promise<number> {
  try {
    const r = await runHostJob<ImageInspectResult>(s, JOB.imageInspect, { imageId }, { hostId, timeoutMs: 15_000 });
    const sig = (r.config as { config?: { StopSignal?: string } }).config?.StopSignal;
    return sig ? parseSignal(sig) : 15;
  } catch {
    return 15;
  }
}

/** `stop`: returns once the container has exited; a container that is not running is fine (as docker). */
export async function stopContainer(s: Services, teamId: string, ref: string, requestedTimeoutSec?: number): Promise<void> {
  const c = await resolveContainer(s.db, teamId, ref);
  // A restarting container: the stop cancels its pending restart (the worker marks it stopped).
  // One with a restart policy goes to the worker whatever its row says: a policy restart moves
  // the row through "created" while it starts, and a stop answered here then would let it run on.
  const own = containerStopSettings(c);
  if (c.state !== "running" && c.state !== "restarting" && !own.restartsByPolicy) return;
  const timeoutSec = requestedTimeoutSec ?? own.timeoutSec ?? 10;
  const signal = own.signal ?? (await stopSignalOf(s, c.imageId, c.hostId));
  const payload: ContainerStopJob = { containerId: c.id, timeoutSec, signal };
  const out = await runHostJob<ContainerStopResult>(s, JOB_LIFECYCLE.containerStop, payload, { hostId: c.hostId, timeoutMs: (timeoutSec + 30) * 1000 });
  if (out.stopped || c.state === "running" || c.state === "restarting") await containerEvent(s, "container.stop", c);
}

/** `kill -s SIGNAL`: the signal reaches PID 1; docker refuses a container that is not running. */
export async function killContainer(s: Services, teamId: string, ref: string, signal: string): Promise<void> {
  const n = parseSignal(signal);
  const c = await resolveContainer(s.db, teamId, ref);
  if (c.state !== "running") throw new FailedPrecondition(`Cannot kill container: ${ref}: Container ${c.id} is not running`);
  const payload: ContainerKillJob = { containerId: c.id, signal: n };
  await runHostJob(s, JOB.containerKill, payload, { hostId: c.hostId, timeoutMs: 30_000 });
  await containerEvent(s, "container.kill", c, { signal: String(n) });
}

/** `rm [-f]`: the host kills (when forced) and deletes the directory; then the row goes. The log stream stays until its TTL. */
export async function removeContainer(s: Services, teamId: string, ref: string, force: boolean): Promise<void> {
  const c = await resolveContainer(s.db, teamId, ref);
  if ((c.state === "running" || c.state === "restarting") && !force) {
    throw new FailedPrecondition(`You cannot remove a ${c.state} container ${c.id}. Stop the container before attempting removal or force remove`);
  }
  const payload: ContainerRemoveJob = { containerId: c.id, force };
  await runHostJob(s, JOB_LIFECYCLE.containerRemove, payload, { hostId: c.hostId, timeoutMs: 60_000 });
  await s.db.container.deleteMany({ where: { id: c.id } });
  // Its port links' visibility goes with it (kept in Redis beside the id, not in the row).
  await forgetContainer(s.redis, c.id);
  await publish(s, "container.destroy", c.id, c.hostId, c.teamId);
  s.log.info({ id: c.id, container: c.name }, "container removed");
}

/**
 * `wait`: the exit code once the container has exited. Polls the row for up to `maxMs`, then
 * answers `done: false` so the client asks again (no HTTP request is held for long).
 */
export async function waitContainer(s: Services, teamId: string, ref: string, maxMs = 20_000): Promise<{ done: boolean; exitCode: number | null }> {
  const c = await resolveContainer(s.db, teamId, ref);
  const end = Date.now() + maxMs;
  for (;;) {
    const row = await s.db.container.findUnique({ where: { id: c.id }, select: { state: true, exitCode: true } });
    // Removed while we waited (--rm): its end is in the log stream, not here.
    if (!row) return { done: true, exitCode: null };
    if (row.state === "exited") return { done: true, exitCode: row.exitCode };
    if (Date.now() >= end) return { done: false, exitCode: null };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `rename OLD NEW`: the same name rules and uniqueness as run. */
export async function renameContainer(s: Services, teamId: string, ref: string, newName: string): Promise<void> {
  const name = newName.replace(/^\//, "");
  if (!CONTAINER_NAME.test(name)) throw new InvalidArgument(`invalid container name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-]* are allowed`);
  const c = await resolveContainer(s.db, teamId, ref);
  if (c.name === name) throw new InvalidArgument(`Renaming a container with the same name as its current name`);
  const other = await s.db.container.findUnique({ where: { teamId_name: { teamId: c.teamId, name } }, select: { id: true } });
  if (other) throw new AlreadyExists(`Conflict. The container name "/${name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`);
  try {
    await s.db.container.update({ where: { id: c.id }, data: { name } });
    await containerEvent(s, "container.rename", { ...c, name }, { oldName: `/${c.name}` });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") throw new AlreadyExists(`Conflict. The container name "/${name}" is already in use`, { cause: err });
    throw err;
  }
}

/**
 * `start`: a created container, or an exited one again (its upper dir kept, as docker). Returns once
 * it runs; a container that could not start is an error with the reason. A running one: nothing to do.
 */
export async function startContainer(s: Services, teamId: string, ref: string): Promise<{ id: string; firstRun: boolean }> {
  const c = await resolveContainer(s.db, teamId, ref);
  const firstRun = c.startedAt === null && c.state === "created";
  if (c.state === "running") return { id: c.id, firstRun: false };
  // Starting again takes a place in the quota (a created one already holds its own).
  if (c.state !== "created" && c.state !== "restarting") await checkContainerQuota(s.db, c.teamId, JSON.parse(c.options || "{}") as ContainerOptions, c.id);
  const payload: ContainerStartJob = { containerId: c.id };
  await runHostJob(s, JOB_LIFECYCLE.containerStart, payload, { hostId: c.hostId, timeoutMs: 60_000 });
  const after = await s.db.container.findUnique({ where: { id: c.id }, select: { state: true, error: true } });
  if (after?.state === "exited" && after.error) throw new FailedPrecondition(`failed to start container ${ref}: ${after.error}`);
  return { id: c.id, firstRun };
}

/** `restart`: stop (SIGTERM, SIGKILL after the timeout), then start. */
export async function restartContainer(s: Services, teamId: string, ref: string, timeoutSec?: number): Promise<void> {
  await announceRestart(s, teamId, ref);
  await stopContainer(s, teamId, ref, timeoutSec);
  await startContainer(s, teamId, ref);
  await containerEvent(s, "container.restart", await resolveContainer(s.db, teamId, ref));
}
