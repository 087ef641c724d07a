import { PassThrough } from "node:stream";
import type { ContainerOptions, HealthSettings, Logger } from "@berth/core";
import { containerOomKilled, openPipe, openPty, removeCgroup, type WaitResult } from "@berth/native";
import type { Attachments } from "./attachments.js";
import type { ManagerContext, Running } from "./context.js";
import { exitCodeOf, EXIT_RUNTIME_ERROR } from "./exit-status.js";
import type { ExitPath } from "./exit-path.js";
import type { LogSink } from "./log-sink.js";
import { exitOf, releaseShim, removeRunningRecord } from "./shim.js";
import { openStdinPipe, type ExecTarget } from "./terminal.js";

/** A running container as the worker watches it: just started, or adopted from a previous worker. */
export interface Supervision {
  id: string;
  autoRemove: boolean;
  opts: ContainerOptions;
  dir: string;
  sink: LogSink;
  log: Logger;
  pid: number;
  startedAt: Date;
  exec: ExecTarget;
  health: HealthSettings | undefined;
  io: { pty: number } | { stdout: number; stderr: number; stdin?: number };
  /** The connection to its shim (its exit comes there), or the exit already known. */
  shim: { conn?: number; exit?: WaitResult };
  /** Set when the start could not be recorded: the process was killed, this is the error to record. */
  unrecorded?: string;
}

/**
 * Carries a running container's output to its log and attached clients, its input from them,
 * runs its health checks, and records its end (exit path) once its shim reports it.
 */
export function supervise(c: ManagerContext, att: Attachments, exit: ExitPath, s: Supervision): Running {
  const d = c.d;
  const { id, log, sink } = s;
  const running: Omit<Running, "done"> = { pid: s.pid, exec: s.exec };
  let outputs: Promise<unknown>;
  if ("pty" in s.io) {
    // One terminal stream: to attached clients as is, to the log as stdout lines.
    const pty = openPty(s.io.pty);
    const toLog = new PassThrough();
    pty.on("data", (b: Buffer) => {
      att.broadcast(id, "pty", b);
      toLog.write(b.toString("utf8").replace(/\r/g, ""));
    });
    pty.once("end", () => toLog.end());
    pty.once("error", () => toLog.end());
    running.input = pty;
    running.ptyFd = s.io.pty;
    outputs = sink.follow("stdout", toLog);
  } else {
    const out = openPipe(s.io.stdout);
    const err = openPipe(s.io.stderr);
    out.on("data", (b: Buffer | string) => att.broadcast(id, "stdout", b));
    err.on("data", (b: Buffer | string) => att.broadcast(id, "stderr", b));
    if (s.io.stdin !== undefined) running.input = openStdinPipe(s.io.stdin);
    outputs = Promise.all([sink.follow("stdout", out), sink.follow("stderr", err)]);
  }
  const done = (async () => {
    const status = s.shim.exit ?? (await exitOf(s.dir, s.shim.conn));
    await outputs.catch((e: unknown) => log.error({ err: e }, "reading container output failed"));
    const exitCode = exitCodeOf(status);
    const cgroup = c.cgroupPath(id);
    const oomKilled = await containerOomKilled(cgroup).catch(() => false);
    await removeCgroup(cgroup).catch((err: unknown) => log.error({ err, cgroup }, "removing the cgroup failed"));
    await d.network?.release(id).catch((err: unknown) => log.error({ err }, "releasing the network failed"));
    await removeRunningRecord(s.dir).catch(() => undefined);
    log.info({ exitCode, signal: status.signal, oomKilled }, "container exited");
    try {
      if (s.unrecorded) return await exit.finish(id, s.autoRemove, sink, EXIT_RUNTIME_ERROR, s.unrecorded);
      const restart = await exit.policyRestarts(id, s.autoRemove, s.opts, exitCode);
      await exit.finish(id, s.autoRemove, sink, exitCode, undefined, oomKilled, restart);
      if (restart) exit.scheduleRestart(id, Date.now() - s.startedAt.getTime(), log);
    } finally {
      // Only now: until the exit is recorded, a worker that dies meanwhile gets it again from the shim.
      releaseShim(s.shim.conn);
    }
  })()
    .catch((e: unknown) => log.error({ err: e }, "recording container exit failed"))
    .finally(() => {
      d.health?.stop(id);
      c.running.delete(id);
    });
  const r: Running = { ...running, done };
  c.running.set(id, r);
  // Not for one that already ended (adopted after its exit): nothing to probe.
  if (!s.unrecorded && !s.shim.exit) d.health?.start(id, s.health, running.exec);
  return r;
}
