import fs from "node:fs/promises";
import path from "node:path";
import { PassThrough, type Writable } from "node:stream";
import { ContainerOptions, effectiveHealth, type HealthStatus, logConfigOf, publishEvent, FailedPrecondition, storageErrorOf, shouldRestart, type AgentAttachStart, type AgentExecStart, encodeLogEntry, logStreamKey, LOG_STREAM_TTL_SECONDS, NotFound, type ContainerEvent, type Logger } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import { containerOomKilled, freezeCgroup, killContainer, openPipe, openPty, removeCgroup, resizePty, spawnContainer, waitContainer } from "@berth/native";
import { loadImage, type Snapshots } from "../images/index.js";
import { describeSpawnFailure, exitCodeOf, EXIT_RUNTIME_ERROR } from "./exit-status.js";
import { LogSink } from "./log-sink.js";
import { ensureWorkdir, processFromImage, resolveUser } from "./spec.js";
import { RestartTimers } from "./restarts.js";
import { readRuntime, writeRuntime } from "./runtime-state.js";
import type { NetworkService } from "../network/index.js";
import { runtimeMounts, type VolumeStore } from "../volumes/index.js";
import { lockContainerFs } from "../container-fs/index.js";
import type { HealthMonitor } from "../health/monitor.js";
import { closeInput, openStdinPipe, startExec, type ExecTarget, type SessionHandle, type TerminalClient } from "./terminal.js";

export interface ManagerDeps {
  db: PrismaClient;
  redis: Redis;
  blobs: ContentStore;
  snapshots: Snapshots;
  containersDir: string;
  hostId: string;
  log: Logger;
  /** Bridges, addresses, published ports and hosts files (none: every container gets only lo). */
  network?: NetworkService;
  /** Volumes, binds and tmpfs of `opts.mounts` (absent: containers get none). */
  volumes?: VolumeStore;
  /** Health checks of the image's HEALTHCHECK or `--health-cmd` (absent: none run). */
  health?: HealthMonitor;
}

interface Running {
  pid: number;
  done: Promise<void>;
  /** How it was started, for exec. */
  exec: ExecTarget;
  /** The container's own terminal or stdin (tty / interactive), for attach. */
  input?: Writable;
  ptyFd?: number;
}

/** How long an interactive container (-i/-t) waits for its first attach before it starts anyway. */
export const ATTACH_WAIT_MS = 10_000;

/**
 * Owns the containers of this host: prepares their directories, starts them through the native
 * runtime, carries their output to the log sink and records how they end. Overlay, /proc and /dev
 * are mounted inside each container's own mount namespace, so when a container's PID 1 exits the
 * kernel takes every mount with it: nothing to unmount here.
 */
export class ContainerManager {
  private readonly running = new Map<string, Running>();
  /** Attached clients per container (session → client), also before the container starts. */
  private readonly attached = new Map<string, Map<string, TerminalClient>>();
  /** Interactive containers waiting for their first attach. */
  private readonly attachWaiters = new Map<string, () => void>();
  private stopping = false;
  /** Restart-policy timers (containers in state "restarting"). */
  private readonly restarts = new RestartTimers();
  /** Starts in progress: a second run/start of the same container joins the first. */
  private readonly inflight = new Map<string, Promise<void>>();
  /** Frozen by `pause`. */
  private readonly paused = new Set<string>();
  /** Starts made by a restart policy (no wait for an attach). */
  private readonly policyStarts = new Set<string>();

  /** Each started container's team, for its events once `rm -f` may have taken the row (bounded: dropped when it ends for good). */
  private readonly teams = new Map<string, string>();
  constructor(private readonly d: ManagerDeps) {}

  get count(): number {
    return this.running.size;
  }

  private dir(id: string) {
    return path.join(this.d.containersDir, id);
  }

  /** Host-global names carry the instance (host id), so two Berths on one host never collide. */
  cgroupPath(id: string) {
    return `berth-${this.d.hostId}/${id}`;
  }

  private async publish(type: ContainerEvent["type"], id: string, extra: Partial<ContainerEvent> = {}) {
    // The relay shows an event only to its team's members: an event without one reaches only the site admin.
    const teamId = this.teams.get(id) ?? (await this.d.db.container.findUnique({ where: { id }, select: { teamId: true } }).catch(() => null))?.teamId;
    const ev: ContainerEvent = { type, id, hostId: this.d.hostId, ...(teamId ? { teamId } : {}), time: new Date().toISOString(), ...extra };
    await publishEvent(this.d.redis, ev, (err) => this.d.log.warn({ err: err.message, id }, `could not publish ${type}`));
  }

  /** Docker's `health_status: healthy|unhealthy` event, when a container's health changes. */
  healthChanged(id: string, status: HealthStatus): void {
    void this.publish("container.health_status", id, { attributes: { status } });
  }

  /** Starts a created container; resolves once it runs (or has been recorded as failed to start). */
  run(containerId: string, o: { waitForAttach?: boolean } = {}): Promise<void> {
    const busy = this.inflight.get(containerId);
    if (busy) return busy;
    const p = this.runOnce(containerId, o.waitForAttach ?? true).finally(() => this.inflight.delete(containerId));
    this.inflight.set(containerId, p);
    return p;
  }

  private async runOnce(containerId: string, waitForAttach: boolean): Promise<void> {
    if (this.stopping) throw new Error("worker is shutting down");
    const row = await this.d.db.container.findUnique({ where: { id: containerId } });
    if (row) this.teams.set(row.id, row.teamId);
    if (!row) throw new NotFound(`container ${containerId}`);
    if (row.state !== "created") return; // a retried job: it already ran
    const dir = this.dir(row.id);
    const sink = new LogSink(this.d.redis, row.id, path.join(dir, "log.jsonl"), logConfigOf(row.options));
    const log = this.d.log.child({ container: row.id.slice(0, 12) });
    let cmd: string[] = [];
    try {
      cmd = JSON.parse(row.cmd) as string[];
      const opts = ContainerOptions.parse(JSON.parse(row.options));
      // The directories and the image at once: both are on every start's critical path.
      const [image] = await Promise.all([loadImage(this.d.db, this.d.blobs, row.imageId), Promise.all(["upper", "work", "rootfs"].map((d) => fs.mkdir(path.join(dir, d), { recursive: true })))]);
      const lowerdirs = await this.d.snapshots.prepare(image.manifest.layers, image.config.rootfs.diff_ids, this.d.blobs);
      const { user, ...proc } = processFromImage(image.config, cmd, row.id, opts.user, opts);
      if (opts.workdir) await ensureWorkdir(opts.workdir, path.join(dir, "upper"), lowerdirs);
      const ids = await resolveUser(user, lowerdirs);
      cmd = proc.args;
      const interactive = opts.tty || opts.interactive;
      // Early output must reach the client of `run -it`: wait (bounded) for its attach first.
      // A policy restart or a `run -d` does not wait: nobody is about to attach (Docker does the same).
      if (interactive && !this.policyStarts.delete(row.id) && waitForAttach) await this.waitForAttach(row.id, ATTACH_WAIT_MS);
      if (this.stopping) {
        await this.finish(row.id, row.autoRemove, sink, EXIT_RUNTIME_ERROR, "the Berth worker stopped before the container started");
        return;
      }
      // Mounts before the network: a refused mount must not leave a published port behind.
      const mounts = this.d.volumes ? await runtimeMounts(this.d.volumes, row.teamId, opts.mounts, lowerdirs) : {};
      let net;
      try {
        net = await this.d.network?.prepare({ id: row.id, name: row.name, teamId: row.teamId, dir }, { network: opts.network, aliases: opts.networkAliases, networks: opts.networks, publish: opts.publish, ...(opts.publishAll ? { exposed: Object.keys(image.config.config?.ExposedPorts ?? {}) } : {}) });
      } catch (e) {
        log.warn({ err: e }, "container network could not be set up");
        await this.finish(row.id, row.autoRemove, sink, EXIT_RUNTIME_ERROR, storageErrorOf(e)?.message ?? (e as Error).message);
        return;
      }
      // Not while `cp` has this stopped container's overlay mounted; released once the row says running.
      const releaseFs = await lockContainerFs(row.id);
      let spawned;
      try {
        spawned = await spawnContainer({
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
          ...(opts.tty ? { tty: true as const, ...this.attachSize(row.id) } : {}),
          ...(opts.interactive && !opts.tty ? { openStdin: true } : {}),
          cgroup: {
            path: this.cgroupPath(row.id),
            ...(opts.memory !== undefined ? { memory: opts.memory } : {}),
            ...(opts.memorySwap !== undefined ? { memorySwap: opts.memorySwap } : {}),
            ...(opts.cpus !== undefined ? { cpus: opts.cpus } : {}),
            ...(opts.pidsLimit !== undefined ? { pidsLimit: opts.pidsLimit } : {}),
          },
        });
      } catch (e) {
        const f = describeSpawnFailure(e as Error, proc.args[0] ?? "");
        log.warn({ err: e }, "container failed to start");
        await removeCgroup(this.cgroupPath(row.id)).catch((err: unknown) => log.error({ err }, "removing the cgroup failed"));
        await this.d.network?.release(row.id);
        await this.finish(row.id, row.autoRemove, sink, f.exitCode, storageErrorOf(e)?.message ?? f.error);
        return;
      } finally {
        // A failed start releases here (after recording it); a started one once its row says running.
        if (!spawned) releaseFs();
      }
      const startedAt = new Date();
      // One truth for DB, kernel and network: a process whose start could not be recorded (a locked
      // or full database) is killed at once and then ends like any other, its failure recorded.
      let unrecorded: string | undefined;
      await this.d.db.container
        .update({ where: { id: row.id }, data: { state: "running", pid: spawned.pid, startedAt } })
        .catch((e: unknown) => {
          unrecorded = `the container started but could not be recorded as running (${storageErrorOf(e)?.message ?? (e as Error).message}), so it was stopped`;
          log.error({ err: e }, "recording the start failed: stopping the container");
          tryKill(spawned.pid, 9);
        })
        .finally(releaseFs);
      if (!unrecorded) {
        this.d.network?.started(row.id, spawned.pid);
        await this.publish("container.start", row.id);
        log.info({ pid: spawned.pid, args: proc.args }, "container started");
      }
      const running: Omit<Running, "done"> = {
        pid: spawned.pid,
        exec: { pid: spawned.pid, env: proc.env, cwd: proc.cwd, ...ids, lowerdirs, capAdd: opts.capAdd, capDrop: opts.capDrop },
      };
      let outputs: Promise<unknown>;
      if ("pty" in spawned) {
        // One terminal stream: to attached clients as is, to the log as stdout lines.
        const pty = openPty(spawned.pty);
        const toLog = new PassThrough();
        pty.on("data", (d: Buffer) => {
          this.broadcast(row.id, "pty", d);
          toLog.write(d.toString("utf8").replace(/\r/g, ""));
        });
        pty.once("end", () => toLog.end());
        pty.once("error", () => toLog.end());
        running.input = pty;
        running.ptyFd = spawned.pty;
        outputs = sink.follow("stdout", toLog);
      } else {
        const out = openPipe(spawned.stdout);
        const err = openPipe(spawned.stderr);
        out.on("data", (d: Buffer | string) => this.broadcast(row.id, "stdout", d));
        err.on("data", (d: Buffer | string) => this.broadcast(row.id, "stderr", d));
        if (spawned.stdin !== undefined) running.input = openStdinPipe(spawned.stdin);
        outputs = Promise.all([sink.follow("stdout", out), sink.follow("stderr", err)]);
      }
      const done = (async () => {
        const status = await waitContainer(spawned.pid);
        await outputs.catch((e: unknown) => log.error({ err: e }, "reading container output failed"));
        const exitCode = exitCodeOf(status);
        const cgroup = this.cgroupPath(row.id);
        const oomKilled = await containerOomKilled(cgroup).catch(() => false);
        await removeCgroup(cgroup).catch((err: unknown) => log.error({ err, cgroup }, "removing the cgroup failed"));
        await this.d.network?.release(row.id).catch((err: unknown) => log.error({ err }, "releasing the network failed"));
        log.info({ exitCode, signal: status.signal, oomKilled }, "container exited");
        if (unrecorded) return await this.finish(row.id, row.autoRemove, sink, EXIT_RUNTIME_ERROR, unrecorded);
        const restart = await this.policyRestarts(row.id, row.autoRemove, opts, exitCode);
        await this.finish(row.id, row.autoRemove, sink, exitCode, undefined, oomKilled, restart);
        if (restart) this.scheduleRestart(row.id, Date.now() - startedAt.getTime(), log);
      })()
        .catch((e: unknown) => log.error({ err: e }, "recording container exit failed"))
        .finally(() => {
          this.d.health?.stop(row.id);
          this.running.delete(row.id);
        });
      this.running.set(row.id, { ...running, done });
      if (!unrecorded) this.d.health?.start(row.id, effectiveHealth(image.config.config?.Healthcheck, opts.healthcheck, opts.noHealthcheck), running.exec);
      // The start's caller learns the outcome only once the killed process has been reaped and recorded.
      if (unrecorded) return await done;
      for (const b of this.pendingInput.get(row.id) ?? []) running.input?.write(b);
      this.pendingInput.delete(row.id);
    } catch (e) {
      log.error({ err: e }, "container could not be prepared");
      await this.finish(row.id, row.autoRemove, sink, EXIT_RUNTIME_ERROR, `container ${row.name} could not be prepared: ${storageErrorOf(e)?.message ?? (e as Error).message}`);
    }
  }

  /** Records the end: the row says exited (so `ps` agrees once a client sees the exit), then the log's last entry, then --rm removal. */
  private async finish(id: string, autoRemove: boolean, sink: LogSink, exitCode: number | null, error?: string, oomKilled = false, restarting = false): Promise<void> {
    this.paused.delete(id);
    // updateMany: `rm -f` may have taken the row already; the log must still get its end.
    // Both before the log's end (a client that sees the exit then reads them); one does not wait for the other.
    await Promise.all([
      this.d.db.container.updateMany({
        where: { id },
        data: { state: restarting ? "restarting" : "exited", exitCode, oomKilled, error: error ?? null, finishedAt: new Date(), pid: null },
      }),
      writeRuntime(this.d.db, id, { paused: false }),
    ]);
    // Events before what a client waits on: whoever sees the exit (or, with --rm, the row gone)
    // finds `die` (and `destroy`) already in the event stream, as Docker's CLI does.
    await this.publish("container.die", id, { exitCode, ...(error ? { error } : {}) });
    // The log is complete before the row can go (--rm): a client that finds no row reads the
    // stream by id, so there must never be a moment with neither.
    await sink.exit(exitCode, error);
    if (autoRemove) {
      await this.publish("container.destroy", id);
      // --rm takes the container's anonymous volumes with it (docker does); named ones stay.
      const gone = await this.d.db.container.findUnique({ where: { id }, select: { options: true, teamId: true } }).catch(() => null);
      await this.d.db.container.delete({ where: { id } }).catch(() => undefined);
      if (gone) await this.d.volumes?.removeAnonymousOf(gone.teamId, gone.options).catch((err: unknown) => this.d.log.warn({ err, id }, "removing anonymous volumes failed"));
      await fs.rm(this.dir(id), { recursive: true, force: true });
    }
    if (!restarting) this.teams.delete(id);
    this.endAttachments(id, exitCode, error);
  }

  // ---- exec and attach (driven by the agent link) ------------------------------------------

  /** `berth exec`: a new process in a running container. */
  async exec(req: AgentExecStart, client: TerminalClient): Promise<SessionHandle> {
    const r = this.running.get(req.containerId);
    if (!r) throw new FailedPrecondition(`container ${req.containerId.slice(0, 12)} is not running`);
    if (this.paused.has(req.containerId)) throw new FailedPrecondition(`Container ${req.containerId} is paused, unpause the container before exec`);
    return startExec(r.exec, req, client);
  }

  /**
   * Attach to a container's terminal (or stdin and output pipes): output from now on, input to
   * its pty/stdin, its exit code at the end. A container created with -i/-t waits for this.
   */
  async attach(req: AgentAttachStart, client: TerminalClient): Promise<SessionHandle> {
    const id = req.containerId;
    if (!this.running.has(id)) {
      const row = await this.d.db.container.findUnique({ where: { id }, select: { state: true, exitCode: true, error: true } });
      if (!row || row.state === "exited") {
        client.exit(row?.exitCode ?? null, row?.error ?? undefined);
        return { stdin() {}, resize() {}, close() {} };
      }
    }
    let clients = this.attached.get(id);
    if (!clients) this.attached.set(id, (clients = new Map()));
    clients.set(req.session, client);
    this.pendingSize.set(id, req.cols && req.rows ? { cols: req.cols, rows: req.rows } : undefined);
    this.attachWaiters.get(id)?.();
    const r = () => this.running.get(id);
    if (req.cols && req.rows) {
      const fd = r()?.ptyFd;
      if (fd !== undefined) tryResize(fd, req.cols, req.rows);
    }
    return {
      stdin: (data, end) => {
        const input = r()?.input;
        if (!r()) {
          // Typed before the container started: kept for its stdin (bounded).
          const q = this.pendingInput.get(id) ?? [];
          if (data?.length && q.reduce((n, b) => n + b.length, 0) < 1024 * 1024) q.push(Buffer.from(data));
          this.pendingInput.set(id, q);
          return;
        }
        if (!input || input.destroyed) return;
        if (data?.length) input.write(data);
        if (end && r()?.ptyFd === undefined) closeInput(input);
      },
      resize: (cols, rows) => {
        const fd = r()?.ptyFd;
        if (fd !== undefined) tryResize(fd, cols, rows);
      },
      close: () => {
        this.attached.get(id)?.delete(req.session);
      },
    };
  }

  private readonly pendingInput = new Map<string, Buffer[]>();
  private readonly pendingSize = new Map<string, { cols: number; rows: number } | undefined>();

  private attachSize(id: string): { ttySize?: { cols: number; rows: number } } {
    const size = this.pendingSize.get(id);
    this.pendingSize.delete(id);
    return size ? { ttySize: size } : {};
  }

  private waitForAttach(id: string, ms: number): Promise<void> {
    if (this.attached.get(id)?.size) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.attachWaiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.attachWaiters.set(id, done);
    });
  }

  private broadcast(id: string, stream: "stdout" | "stderr" | "pty", d: Buffer | string): void {
    const clients = this.attached.get(id);
    if (!clients?.size) return;
    const buf = typeof d === "string" ? Buffer.from(d) : d;
    for (const c of clients.values()) c.data(stream, buf);
  }

  private endAttachments(id: string, exitCode: number | null, error?: string): void {
    const clients = this.attached.get(id);
    this.attached.delete(id);
    this.pendingSize.delete(id);
    this.pendingInput.delete(id);
    for (const c of clients?.values() ?? []) c.exit(exitCode, error);
  }

  /** Signals a running container's PID 1 (a paused one is thawed after, as Docker does); no policy restarts it. */
  async kill(id: string, signal: number): Promise<void> {
    const r = this.running.get(id);
    if (!r) throw new NotFound(`running container ${id}`);
    await this.markManuallyStopped(id);
    killContainer(r.pid, signal);
    await this.thaw(id);
  }

  /** Containers a `start` job is starting (two starts of one container run it once). */
  private readonly starting = new Set<string>();

  /**
   * `start`: a created container, or an exited one again. A restart keeps the container's upper
   * dir (its writes survive, as in docker) and appends to its log; the row goes back to created.
   */
  async start(id: string): Promise<void> {
    if (this.running.has(id) || this.starting.has(id)) return;
    this.starting.add(id);
    try {
      const row = await this.d.db.container.findUnique({ where: { id }, select: { state: true } });
      if (!row) throw new NotFound(`No such container: ${id}`);
      // A user's start: a new series for the restart policy (count and backoff), not stopped any more.
      this.restarts.reset(id);
      if (row.state === "exited" || row.state === "restarting") {
        await this.d.db.container.update({
          where: { id },
          data: { state: "created", exitCode: null, error: null, oomKilled: false, pid: null, startedAt: null, finishedAt: null },
        });
      }
      await writeRuntime(this.d.db, id, { restartCount: 0, manuallyStopped: false });
      await this.run(id);
    } finally {
      this.starting.delete(id);
    }
  }

  /**
   * `stop`: `signal` (SIGTERM by default) to PID 1, SIGKILL after `timeoutSec`; resolves once the
   * exit is recorded. False when it was not running here (docker: stopping a stopped container is fine).
   */
  async stop(id: string, timeoutSec: number, signal = 15): Promise<boolean> {
    // A start in progress finishes first: then there is something to stop.
    await this.inflight.get(id)?.catch(() => undefined);
    await this.markManuallyStopped(id);
    if (await this.cancelRestart(id)) return true;
    const r = this.running.get(id);
    if (!r) return false;
    tryKill(r.pid, signal);
    await this.thaw(id);
    const timer = setTimeout(() => tryKill(r.pid, 9), timeoutSec * 1000);
    try {
      await r.done;
    } finally {
      clearTimeout(timer);
    }
    // Its exit may have read the policy before the mark above and scheduled a restart: the stop ends it.
    await this.cancelRestart(id);
    return true;
  }

  /** Ends a pending policy restart (the container stays exited); false when none was pending. */
  private async cancelRestart(id: string): Promise<boolean> {
    if (!this.restarts.cancel(id)) return false;
    await this.d.db.container.updateMany({ where: { id, state: "restarting" }, data: { state: "exited" } });
    return true;
  }

  /** `rm`: refuses a running container unless `force` (then SIGKILL and wait); deletes its directory. */
  async remove(id: string, force: boolean): Promise<void> {
    if (this.restarts.pending(id) && !force) {
      throw new FailedPrecondition(`You cannot remove a restarting container ${id}. Stop the container before attempting removal or force remove`);
    }
    // Starting right now (a user's start or a policy restart) counts as running.
    if (this.inflight.has(id) && !force) {
      throw new FailedPrecondition(`You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
    }
    this.restarts.reset(id);
    if (force) await this.inflight.get(id)?.catch(() => undefined);
    const r = this.running.get(id);
    if (r) {
      if (!force) throw new FailedPrecondition(`You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
      await this.markManuallyStopped(id);
      tryKill(r.pid, 9);
      await this.thaw(id);
      await r.done;
    }
    // Not while `cp` has the container's filesystem (and volumes) mounted inside its directory.
    const releaseFs = await lockContainerFs(id);
    await fs.rm(this.dir(id), { recursive: true, force: true }).finally(releaseFs);
  }

  /** Shutdown: SIGTERM every container, SIGKILL what is left after the grace period, wait for all. */
  async stopAll(graceMs: number): Promise<void> {
    this.stopping = true;
    this.restarts.cancelAll();
    for (const wake of [...this.attachWaiters.values()]) wake();
    const all = [...this.running.values()];
    for (const r of all) tryKill(r.pid, 15);
    for (const id of [...this.paused]) await this.thaw(id);
    const timer = setTimeout(() => {
      for (const r of this.running.values()) tryKill(r.pid, 9);
    }, graceMs);
    await Promise.all(all.map((r) => r.done));
    clearTimeout(timer);
    await removeCgroup(`berth-${this.d.hostId}`);
  }

  /**
   * Start-up: containers this host recorded as running died with the previous worker (the
   * runtime ties them to it), so record them as exited; remove directories no row owns.
   */
  async reconcile(): Promise<void> {
    // Also a policy restart the dead worker had begun (back to created, restart counted, not yet running).
    const stale = await this.d.db.container.findMany({
      where: { hostId: this.d.hostId, OR: [{ state: { in: ["running", "restarting"] } }, { state: "created", runtime: { restartCount: { gt: 0 } } }] },
    });
    for (const c of stale) {
      const error = "the Berth worker stopped while this container was running";
      const exitCode = 137;
      if (c.autoRemove) await this.d.db.container.delete({ where: { id: c.id } });
      else await this.d.db.container.update({ where: { id: c.id }, data: { state: "exited", exitCode, error, finishedAt: new Date(), pid: null } });
      const key = logStreamKey(c.id);
      await this.d.redis.xadd(key, "*", ...encodeLogEntry({ stream: "exit", exitCode, error, time: new Date().toISOString() }));
      await this.d.redis.expire(key, LOG_STREAM_TTL_SECONDS);
      this.d.log.warn({ container: c.id.slice(0, 12) }, "marked exited: worker restarted");
    }
    await this.d.db.containerRuntime.updateMany({ where: { container: { hostId: this.d.hostId } }, data: { paused: false } });
    // Whatever a crashed worker left in this instance's cgroups (its containers died with it).
    await removeCgroup(`berth-${this.d.hostId}`);
    await fs.mkdir(this.d.containersDir, { recursive: true });
    const names = await fs.readdir(this.d.containersDir);
    const known = new Set((await this.d.db.container.findMany({ where: { id: { in: names } }, select: { id: true } })).map((c) => c.id));
    for (const n of names) {
      if (!known.has(n)) await fs.rm(path.join(this.d.containersDir, n), { recursive: true, force: true });
    }
    await this.restartAfterReconcile();
  }

  // ---- restart policies and pause (see README "Containers across worker restarts") -----------

  private async markManuallyStopped(id: string): Promise<void> {
    await writeRuntime(this.d.db, id, { manuallyStopped: true });
  }

  /** Whether the container's policy restarts it after this exit (read from the row: a stop or kill may have just marked it). */
  private async policyRestarts(id: string, autoRemove: boolean, opts: ContainerOptions, exitCode: number | null): Promise<boolean> {
    if (this.stopping || autoRemove || !opts.restart) return false;
    if (!(await this.d.db.container.findUnique({ where: { id }, select: { id: true } }))) return false;
    const row = await readRuntime(this.d.db, id);
    return shouldRestart(opts.restart, { exitCode, restartCount: row.restartCount, manuallyStopped: row.manuallyStopped });
  }

  private scheduleRestart(id: string, ranMs: number, log: Logger): void {
    const delay = this.restarts.schedule(id, ranMs, () => {
      void this.restartNow(id).catch((err: unknown) => log.error({ err }, "restarting the container failed"));
    });
    log.info({ delayMs: delay }, "restart policy: restarting");
  }

  /** The policy's restart: one more in RestartCount, then the same path as a first run. */
  private async restartNow(id: string): Promise<void> {
    if (this.stopping) return;
    const moved = await this.d.db.container.updateMany({
      where: { id, state: { in: ["restarting", "exited"] } },
      data: { state: "created", exitCode: null, error: null, oomKilled: false, pid: null, startedAt: null, finishedAt: null },
    });
    if (moved.count !== 1) return;
    await writeRuntime(this.d.db, id, { incrementRestarts: true });
    this.policyStarts.add(id);
    await this.run(id).finally(() => this.policyStarts.delete(id));
  }

  /**
   * After a worker start: containers whose policy says so come back (always — also after a
   * manual stop, as Docker's daemon start does —, unless-stopped unless stopped by the user,
   * on-failure within its count: a worker death killed them with 137).
   */
  private async restartAfterReconcile(): Promise<void> {
    const rows = await this.d.db.container.findMany({ where: { hostId: this.d.hostId, state: "exited", autoRemove: false }, include: { runtime: true } });
    for (const c of rows) {
      let opts: ContainerOptions;
      try {
        opts = ContainerOptions.parse(JSON.parse(c.options));
      } catch {
        continue;
      }
      if (!shouldRestart(opts.restart, { exitCode: c.exitCode, restartCount: c.runtime?.restartCount ?? 0, manuallyStopped: c.runtime?.manuallyStopped ?? false, daemonStart: true })) continue;
      this.d.log.info({ container: c.id.slice(0, 12), policy: opts.restart?.name }, "restart policy: starting after worker start");
      await this.restartNow(c.id).catch((err: unknown) => this.d.log.error({ err, container: c.id.slice(0, 12) }, "restart after worker start failed"));
    }
  }

  /** `pause`: freezes every process of the container (cgroup freezer). */
  async pause(id: string): Promise<void> {
    if (!this.running.has(id)) throw new FailedPrecondition(`Container ${id} is not running`);
    if (this.paused.has(id)) throw new FailedPrecondition(`Container ${id} is already paused`);
    await freezeCgroup(this.cgroupPath(id), true);
    this.paused.add(id);
    await writeRuntime(this.d.db, id, { paused: true });
  }

  /** `unpause`: thaws a paused container. */
  async unpause(id: string): Promise<void> {
    if (!this.paused.has(id)) throw new FailedPrecondition(`Container ${id} is not paused`);
    await this.thaw(id);
  }

  /** Thaws a paused container (after a signal, so a stop or kill takes effect at once). */
  private async thaw(id: string): Promise<void> {
    if (!this.paused.has(id)) return;
    await freezeCgroup(this.cgroupPath(id), false).catch((err: unknown) => this.d.log.warn({ err, container: id.slice(0, 12) }, "thawing the container failed"));
    this.paused.delete(id);
    await writeRuntime(this.d.db, id, { paused: false });
  }

  /** Pid of a running container's init (top, stats), or undefined. */
  pidOf(id: string): number | undefined {
    return this.running.get(id)?.pid;
  }
}

function tryResize(fd: number, cols: number, rows: number) {
  try {
    resizePty(fd, cols, rows);
  } catch {
    /* the terminal is gone */
  }
}

function tryKill(pid: number, signal: number) {
  try {
    killContainer(pid, signal);
  } catch {
    /* already gone */
  }
}
