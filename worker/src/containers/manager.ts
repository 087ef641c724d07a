import fs from "node:fs/promises";
import path from "node:path";
import { PassThrough, type Writable } from "node:stream";
import { ContainerOptions, EVENTS_CHANNEL, FailedPrecondition, type AgentAttachStart, type AgentExecStart, encodeLogEntry, logStreamKey, LOG_STREAM_TTL_SECONDS, NotFound, type ContainerEvent, type Logger } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import { containerOomKilled, killContainer, openPipe, openPty, removeCgroup, resizePty, spawnContainer, waitContainer } from "@berth/native";
import { loadImage, type Snapshots } from "../images/index.js";
import { describeSpawnFailure, exitCodeOf, EXIT_RUNTIME_ERROR } from "./exit-status.js";
import { LogSink } from "./log-sink.js";
import { runtimeMounts, type VolumeStore } from "../volumes/index.js";
import { lockContainerFs } from "../container-fs/index.js";
import { processFromImage, resolveUser } from "./spec.js";
import { closeInput, openStdinPipe, startExec, type ExecTarget, type SessionHandle, type TerminalClient } from "./terminal.js";

export interface ManagerDeps {
  db: PrismaClient;
  redis: Redis;
  blobs: ContentStore;
  snapshots: Snapshots;
  containersDir: string;
  hostId: string;
  log: Logger;
  /** Volumes, binds and tmpfs of `opts.mounts` (absent: containers get none). */
  volumes?: VolumeStore;
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
    const ev: ContainerEvent = { type, id, hostId: this.d.hostId, time: new Date().toISOString(), ...extra };
    await this.d.redis.publish(EVENTS_CHANNEL, JSON.stringify(ev));
  }

  /** Starts a created container; resolves once it runs (or has been recorded as failed to start). */
  async run(containerId: string): Promise<void> {
    if (this.stopping) throw new Error("worker is shutting down");
    const row = await this.d.db.container.findUnique({ where: { id: containerId } });
    if (!row) throw new NotFound(`container ${containerId}`);
    if (row.state !== "created") return; // a retried job: it already ran
    const dir = this.dir(row.id);
    const sink = new LogSink(this.d.redis, row.id, path.join(dir, "log.jsonl"));
    const log = this.d.log.child({ container: row.id.slice(0, 12) });
    let cmd: string[] = [];
    try {
      cmd = JSON.parse(row.cmd) as string[];
      const opts = ContainerOptions.parse(JSON.parse(row.options));
      await Promise.all(["upper", "work", "rootfs"].map((d) => fs.mkdir(path.join(dir, d), { recursive: true })));
      const image = await loadImage(this.d.db, this.d.blobs, row.imageId);
      const lowerdirs = await this.d.snapshots.prepare(image.manifest.layers, image.config.rootfs.diff_ids, this.d.blobs);
      const { user, ...proc } = processFromImage(image.config, cmd, row.id, opts.user);
      const ids = await resolveUser(user, lowerdirs);
      cmd = proc.args;
      const interactive = opts.tty || opts.interactive;
      // Early output must reach the client of `run -it`: wait (bounded) for its attach first.
      if (interactive) await this.waitForAttach(row.id, ATTACH_WAIT_MS);
      if (this.stopping) {
        await this.finish(row.id, row.autoRemove, sink, EXIT_RUNTIME_ERROR, "the Berth worker stopped before the container started");
        return;
      }
      const mounts = this.d.volumes ? await runtimeMounts(this.d.volumes, opts.mounts, lowerdirs) : {};
      // Not while `cp` has this stopped container's overlay mounted; released once the row says running.
      const releaseFs = await lockContainerFs(row.id);
      let spawned;
      try {
        spawned = await spawnContainer({
          rootfs: path.join(dir, "rootfs"),
          lowerdirs,
          upperdir: path.join(dir, "upper"),
          workdir: path.join(dir, "work"),
          ...proc,
          ...ids,
          capAdd: opts.capAdd,
          capDrop: opts.capDrop,
          readonlyRootfs: opts.readOnly,
          ...mounts,
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
        await this.finish(row.id, row.autoRemove, sink, f.exitCode, f.error);
        return;
      } finally {
        // A failed start releases here (after recording it); a started one once its row says running.
        if (!spawned) releaseFs();
      }
      await this.d.db.container.update({ where: { id: row.id }, data: { state: "running", pid: spawned.pid, startedAt: new Date() } }).finally(releaseFs);
      await this.publish("container.start", row.id);
      log.info({ pid: spawned.pid, args: proc.args }, "container started");
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
        log.info({ exitCode, signal: status.signal, oomKilled }, "container exited");
        await this.finish(row.id, row.autoRemove, sink, exitCode, undefined, oomKilled);
      })()
        .catch((e: unknown) => log.error({ err: e }, "recording container exit failed"))
        .finally(() => this.running.delete(row.id));
      this.running.set(row.id, { ...running, done });
      for (const b of this.pendingInput.get(row.id) ?? []) running.input?.write(b);
      this.pendingInput.delete(row.id);
    } catch (e) {
      log.error({ err: e }, "container could not be prepared");
      await this.finish(row.id, row.autoRemove, sink, EXIT_RUNTIME_ERROR, `container ${row.name} could not be prepared: ${(e as Error).message}`);
    }
  }

  /** Records the end: the row says exited (so `ps` agrees once a client sees the exit), then the log's last entry, then --rm removal. */
  private async finish(id: string, autoRemove: boolean, sink: LogSink, exitCode: number | null, error?: string, oomKilled = false): Promise<void> {
    // updateMany: `rm -f` may have taken the row already; the log must still get its end.
    await this.d.db.container.updateMany({
      where: { id },
      data: { state: "exited", exitCode, oomKilled, error: error ?? null, finishedAt: new Date(), pid: null },
    });
    // The log is complete before the row can go (--rm): a client that finds no row reads the
    // stream by id, so there must never be a moment with neither.
    await sink.exit(exitCode, error);
    if (autoRemove) {
      // --rm takes the container's anonymous volumes with it (docker does); named ones stay.
      const options = (await this.d.db.container.findUnique({ where: { id }, select: { options: true } }).catch(() => null))?.options;
      await this.d.db.container.delete({ where: { id } }).catch(() => undefined);
      if (options) await this.d.volumes?.removeAnonymousOf(options).catch((err: unknown) => this.d.log.warn({ err, id }, "removing anonymous volumes failed"));
      await fs.rm(this.dir(id), { recursive: true, force: true });
    }
    this.endAttachments(id, exitCode, error);
    await this.publish("container.die", id, { exitCode, ...(error ? { error } : {}) });
    if (autoRemove) await this.publish("container.destroy", id);
  }

  // ---- exec and attach (driven by the agent link) ------------------------------------------

  /** `berth exec`: a new process in a running container. */
  async exec(req: AgentExecStart, client: TerminalClient): Promise<SessionHandle> {
    const r = this.running.get(req.containerId);
    if (!r) throw new FailedPrecondition(`container ${req.containerId.slice(0, 12)} is not running`);
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

  /** Signals a running container's PID 1. */
  kill(id: string, signal: number): void {
    const r = this.running.get(id);
    if (!r) throw new NotFound(`running container ${id}`);
    killContainer(r.pid, signal);
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
      if (row.state === "exited") {
        await this.d.db.container.update({
          where: { id },
          data: { state: "created", exitCode: null, error: null, oomKilled: false, pid: null, startedAt: null, finishedAt: null },
        });
      }
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
    const r = this.running.get(id);
    if (!r) return false;
    tryKill(r.pid, signal);
    const timer = setTimeout(() => tryKill(r.pid, 9), timeoutSec * 1000);
    try {
      await r.done;
    } finally {
      clearTimeout(timer);
    }
    return true;
  }

  /** `rm`: refuses a running container unless `force` (then SIGKILL and wait); deletes its directory. */
  async remove(id: string, force: boolean): Promise<void> {
    const r = this.running.get(id);
    if (r) {
      if (!force) throw new FailedPrecondition(`You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
      tryKill(r.pid, 9);
      await r.done;
    }
    // Not while `cp` has the container's filesystem (and volumes) mounted inside its directory.
    const releaseFs = await lockContainerFs(id);
    await fs.rm(this.dir(id), { recursive: true, force: true }).finally(releaseFs);
  }

  /** Shutdown: SIGTERM every container, SIGKILL what is left after the grace period, wait for all. */
  async stopAll(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const wake of [...this.attachWaiters.values()]) wake();
    const all = [...this.running.values()];
    for (const r of all) tryKill(r.pid, 15);
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
    const stale = await this.d.db.container.findMany({ where: { hostId: this.d.hostId, state: "running" } });
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
    // Whatever a crashed worker left in this instance's cgroups (its containers died with it).
    await removeCgroup(`berth-${this.d.hostId}`);
    await fs.mkdir(this.d.containersDir, { recursive: true });
    const names = await fs.readdir(this.d.containersDir);
    const known = new Set((await this.d.db.container.findMany({ where: { id: { in: names } }, select: { id: true } })).map((c) => c.id));
    for (const n of names) {
      if (!known.has(n)) await fs.rm(path.join(this.d.containersDir, n), { recursive: true, force: true });
    }
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
