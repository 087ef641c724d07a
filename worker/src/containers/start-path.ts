import { closeSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { ContainerOptions, effectiveHealth, logConfigOf, storageErrorOf, NotFound, type Logger } from "@berth/core";
import { killContainer, removeCgroup, spawnContainer } from "@berth/native";
import { loadImage } from "../images/index.js";
import { runtimeMounts } from "../volumes/index.js";
import { lockContainerFs } from "../container-fs/index.js";
import type { Attachments } from "./attachments.js";
import type { ManagerContext } from "./context.js";
import { describeSpawnFailure, EXIT_RUNTIME_ERROR } from "./exit-status.js";
import type { ExitPath } from "./exit-path.js";
import { LogSink } from "./log-sink.js";
import { ensureWorkdir, processFromImage, resolveUser } from "./spec.js";
import { openShim, writeRunningRecord } from "./shim.js";
import { supervise, type Supervision } from "./supervise.js";
import { recheckConfinedBinds } from "./host-paths.js";

/** How long an interactive container (-i/-t) waits for its first attach before it starts anyway. */
export const ATTACH_WAIT_MS = 10_000;

/**
 * The start path: prepares a created container's directories, image, mounts and network,
 * spawns it through the native runtime, records it as running, carries its output to the log
 * sink and its attached clients, and hands its end to the exit path. Resolves once it runs
 * (or has been recorded as failed to start).
 */
export async function runOnce(c: ManagerContext, att: Attachments, exit: ExitPath, containerId: string, waitForAttach: boolean): Promise<void> {
const d = c.d;
  if (c.stopping) throw new Error("worker is shutting down");
  const row = await d.db.container.findUnique({ where: { id: containerId } });
  if (row) c.teams.set(row.id, row.teamId);
  if (!row) throw new NotFound(`container ${containerId}`);
  if (row.state !== "created") return; // a retried job: it already ran
  const dir = c.dir(row.id);
  const sink = new LogSink(d.redis, row.id, path.join(dir, "log.jsonl"), logConfigOf(row.options));
  const log = d.log.child({ container: row.id.slice(0, 12) });
  let cmd: string[] = [];
  // The volumes this start binds, held until its row says running (or it failed): a snapshot
  // refuses them meanwhile, as it refuses the volumes of a running container.
  const volumeHolds: (() => void)[] = [];
  const releaseVolumes = () => volumeHolds.splice(0).forEach((release) => release());
  try {
    cmd = JSON.parse(row.cmd) as string[];
    const opts = ContainerOptions.parse(JSON.parse(row.options));
    // The directories and the image at once: both are on every start's critical path.
    const [image] = await Promise.all([loadImage(d.db, d.blobs, row.imageId), Promise.all(["upper", "work", "rootfs"].map((d) => fs.mkdir(path.join(dir, d), { recursive: true })))]);
    const lowerdirs = await d.snapshots.prepare(image.manifest.layers, image.config.rootfs.diff_ids, d.blobs);
    const { user, ...proc } = processFromImage(image.config, cmd, row.id, opts.user, opts);
    if (opts.workdir) await ensureWorkdir(opts.workdir, path.join(dir, "upper"), lowerdirs);
    const ids = await resolveUser(user, lowerdirs);
    cmd = proc.args;
    const interactive = opts.tty || opts.interactive;
    // Early output must reach the client of `run -it`: wait (bounded) for its attach first.
    // A policy restart or a `run -d` does not wait: nobody is about to attach (Docker does the same).
    if (interactive && !c.policyStarts.delete(row.id) && waitForAttach) await att.waitForAttach(row.id, ATTACH_WAIT_MS);
    if (c.stopping) {
      await exit.finish(row.id, row.autoRemove, sink, EXIT_RUNTIME_ERROR, "the Berth worker stopped before the container started");
      return;
    }
    // Mounts before the network: a refused mount must not leave a published port behind.
    const mounts = d.volumes ? await runtimeMounts(d.volumes, row.teamId, await recheckConfinedBinds(d.db, row.teamId, opts.mounts), lowerdirs, volumeHolds) : {};
    let net;
    try {
      net = await d.network?.prepare({ id: row.id, name: row.name, teamId: row.teamId, dir }, { network: opts.network, aliases: opts.networkAliases, networks: opts.networks, publish: opts.publish, ...(opts.extraHosts?.length ? { extraHosts: opts.extraHosts } : {}), ...(opts.publishAll ? { exposed: Object.keys(image.config.config?.ExposedPorts ?? {}) } : {}) });
    } catch (e) {
      log.warn({ err: e }, "container network could not be set up");
      await exit.finish(row.id, row.autoRemove, sink, EXIT_RUNTIME_ERROR, storageErrorOf(e)?.message ?? (e as Error).message);
      return;
    }
    // Not while `cp` has this stopped container's overlay mounted; released once the row says running.
    const releaseFs = await lockContainerFs(row.id);
    let spawned;
    try {
      spawned = await spawnContainer({
        // Its parent is a shim, not this worker: it outlives a crash or restart of the worker.
        shim: { dir },
        ...(net ? { network: net.network } : {}),
        rootfs: path.join(dir, "rootfs"),
        lowerdirs: net ? [net.initLayer, ...lowerdirs] : lowerdirs,
        upperdir: path.join(dir, "upper"),
        workdir: path.join(dir, "work"),
        ...proc,
        ...ids,
        capAdd: opts.capAdd,
        capDrop: opts.capDrop,
        readonlyRootfs: opts.readOnly,
        ...mounts,
        // The network's /etc/hosts, hostname and resolv.conf first: a user's bind of one of them wins.
        binds: [...(net?.binds ?? []), ...(mounts.binds ?? [])],
        init: opts.init,
        ...(opts.tty ? { tty: true as const, ...att.attachSize(row.id) } : {}),
        ...(opts.interactive && !opts.tty ? { openStdin: true } : {}),
        cgroup: {
          path: c.cgroupPath(row.id),
          ...(opts.memory !== undefined ? { memory: opts.memory } : {}),
          ...(opts.memorySwap !== undefined ? { memorySwap: opts.memorySwap } : {}),
          ...(opts.cpus !== undefined ? { cpus: opts.cpus } : {}),
          ...(opts.pidsLimit !== undefined ? { pidsLimit: opts.pidsLimit } : {}),
        },
      });
    } catch (e) {
      const f = describeSpawnFailure(e as Error, proc.args[0] ?? "");
      log.warn({ err: e }, "container failed to start");
      await removeCgroup(c.cgroupPath(row.id)).catch((err: unknown) => log.error({ err }, "removing the cgroup failed"));
      await d.network?.release(row.id);
      await exit.finish(row.id, row.autoRemove, sink, f.exitCode, storageErrorOf(e)?.message ?? f.error);
      return;
    } finally {
      // A failed start releases here (after recording it); a started one once its row says running.
      if (!spawned) releaseFs();
    }
    const startedAt = new Date();
    // One truth for DB, kernel and network: a process whose start could not be recorded (a locked
    // or full database) is killed at once and then ends like any other, its failure recorded.
    let unrecorded: string | undefined;
    await d.db.container
      .update({ where: { id: row.id }, data: { state: "running", pid: spawned.pid, startedAt } })
      .catch((e: unknown) => {
        unrecorded = `the container started but could not be recorded as running (${storageErrorOf(e)?.message ?? (e as Error).message}), so it was stopped`;
        log.error({ err: e }, "recording the start failed: stopping the container");
        tryKill(spawned.pid, 9);
      })
      .finally(() => {
        releaseFs();
        releaseVolumes();
      });
    if (!unrecorded) {
      await d.network?.started(row.id, spawned.pid).catch((err: unknown) => log.warn({ err }, "could not record the container's pid for its network"));
      await c.publish("container.start", row.id);
      log.info({ pid: spawned.pid, args: proc.args }, "container started");
    }
    const health = effectiveHealth(image.config.config?.Healthcheck, opts.healthcheck, opts.noHealthcheck);
    const exec = { pid: spawned.pid, env: proc.env, cwd: proc.cwd, ...ids, lowerdirs, capAdd: opts.capAdd, capDrop: opts.capDrop };
    const io: Supervision["io"] = "pty" in spawned ? { pty: spawned.pty } : { stdout: spawned.stdout, stderr: spawned.stderr, ...(spawned.stdin !== undefined ? { stdin: spawned.stdin } : {}) };
    const shim = await handToShim(dir, spawned.pid, "pty" in io ? [io.pty] : [io.stdout, io.stderr], log);
    if (!unrecorded) {
      // What a later worker adopts it from, should this one die while it runs.
      await writeRunningRecord(dir, { pid: spawned.pid, run: sink.run, startedAt: startedAt.toISOString(), tty: "pty" in io, exec, ...(health ? { health } : {}) }).catch((err: unknown) =>
        log.warn({ err }, "could not record how to adopt the container after a worker restart"),
      );
    }
    const { done } = supervise(c, att, exit, {
      id: row.id,
      autoRemove: row.autoRemove,
      opts,
      dir,
      sink,
      log,
      pid: spawned.pid,
      startedAt,
      exec,
      health,
      io,
      shim,
      ...(unrecorded ? { unrecorded } : {}),
    });
    // The start's caller learns the outcome only once the killed process has been reaped and recorded.
    if (unrecorded) return await done;
    att.flushPendingInput(row.id);
  } catch (e) {
    log.error({ err: e }, "container could not be prepared");
    await exit.finish(row.id, row.autoRemove, sink, EXIT_RUNTIME_ERROR, `container ${row.name} could not be prepared: ${storageErrorOf(e)?.message ?? (e as Error).message}`);
  } finally {
    releaseVolumes();
  }
}

/**
 * Gives the container's output ends to its shim, which keeps them open while no worker reads
 * (a worker crash then leaves the container writing into a pipe, not into SIGPIPE).
 */
async function handToShim(dir: string, pid: number, hold: number[], log: Logger): Promise<Supervision["shim"]> {
  try {
    const h = await openShim(dir, hold);
    // Gone: the container already ended (and the shim with it); its exit file says how.
    if (!h) return {};
    for (const fd of h.fds) closeSync(fd); // copies of what this worker reads itself
    // It may have ended while being handed its output: then the exit came with the reply.
    return h.exit ? { conn: h.conn, exit: h.exit } : { conn: h.conn };
  } catch (e) {
    // A container that exits at once (`sh -c "exit 1"` under a restart policy) takes its shim
    // with it, which may reset the socket while answering: the exit file says how it ended, and
    // its pid may already be another process's. (A shim that died otherwise took its container
    // with it: PR_SET_PDEATHSIG.)
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ECONNRESET" || code === "EPIPE") {
      log.debug({ err: (e as Error).message }, "the container's shim closed while handed its output: the container already ended");
      return {};
    }
    log.error({ err: e }, "the container's shim did not answer: stopping the container");
    tryKill(pid, 9);
    return {};
  }
}

export function tryKill(pid: number, signal: number) {
  try {
    killContainer(pid, signal);
  } catch {
    /* already gone */
  }
}
