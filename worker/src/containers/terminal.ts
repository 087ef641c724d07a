import net from "node:net";
import type { Duplex, Readable, Writable } from "node:stream";
import { overrideEnv, type AgentExecStart, type TerminalControl, type TerminalState } from "@berth/core";
import { execInContainer, killContainer, openPipe, openPty, resizePty, waitContainer } from "@berth/native";
import { describeSpawnFailure, exitCodeOf, EXIT_RUNTIME_ERROR } from "./exit-status.js";
import { resolveUser } from "./spec.js";

/** Where a session's output and end go (the agent link, for one session). */
export interface TerminalClient {
  data(stream: "stdout" | "stderr" | "pty", data: Buffer): void;
  exit(exitCode: number | null, error?: string): void;
  /** A shared terminal's participants and status (terminal:state). */
  state?(state: Omit<TerminalState, "session">): void;
}

/** What a running session takes from its client. */
export interface SessionHandle {
  stdin(data: Buffer | undefined, end: boolean): void;
  resize(cols: number, rows: number): void;
  /** The client went away. */
  close(): void;
  /** A shared terminal's wheel and recording. */
  control?(c: Omit<TerminalControl, "session">): void;
}

/** What exec needs to know of a running container: how it was started. */
export interface ExecTarget {
  pid: number;
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  lowerdirs: string[];
  capAdd: string[];
  capDrop: string[];
}

/** Grace for output still in flight once the exec'd process ended (a background child may hold the pty forever). */
const DRAIN_MS = 2_000;


/** Opens a pipe's write end (Spawned.stdin) as a stream; takes ownership of the fd. */
export function openStdinPipe(fd: number): Writable {
  const s = new net.Socket({ fd, readable: false, writable: true });
  s.on("error", () => {}); // EPIPE once the program closed its stdin: nothing to tell anyone
  return s;
}

/**
 * `berth exec`: runs req.cmd inside the container (same caps and seccomp defaults as its
 * process, its env + req.env, its user unless req.user, its cwd unless req.workdir), relays
 * output to the client and reports the exit code (127/126 when the command cannot start, as
 * Docker). Resolves once started (or once the failure was reported).
 */
export async function startExec(target: ExecTarget, req: AgentExecStart, client: TerminalClient): Promise<SessionHandle> {
  const noop: SessionHandle = { stdin() {}, resize() {}, close() {} };
  let ids = { uid: target.uid, gid: target.gid };
  try {
    if (req.user) ids = await resolveUser(req.user, target.lowerdirs);
  } catch (e) {
    client.exit(EXIT_RUNTIME_ERROR, (e as Error).message);
    return noop;
  }
  const base = {
    args: req.cmd,
    env: overrideEnv(target.env, req.env),
    cwd: req.workdir ?? target.cwd,
    ...ids,
    capAdd: target.capAdd,
    capDrop: target.capDrop,
  };
  let pid: number;
  let outputs: Promise<unknown>;
  let input: Writable | undefined;
  let ptyFd: number | undefined;
  let ended = false;
  try {
    if (req.tty) {
      const size = req.cols && req.rows ? { ttySize: { cols: req.cols, rows: req.rows } } : {};
      const spawned = await execInContainer(target.pid, { ...base, tty: true, ...size });
      pid = spawned.pid;
      ptyFd = spawned.pty;
      const pty: Duplex = openPty(spawned.pty);
      input = pty;
      outputs = relay(pty, "pty", client);
    } else {
      const spawned = await execInContainer(target.pid, { ...base, tty: false, openStdin: req.interactive });
      pid = spawned.pid;
      if (spawned.stdin !== undefined) input = openStdinPipe(spawned.stdin);
      outputs = Promise.all([relay(openPipe(spawned.stdout), "stdout", client), relay(openPipe(spawned.stderr), "stderr", client)]);
    }
  } catch (e) {
    const f = describeSpawnFailure(e as Error, req.cmd[0] ?? "");
    client.exit(f.exitCode, f.error);
    return noop;
  }
  void (async () => {
    let code: number | null = null;
    let error: string | undefined;
    try {
      code = exitCodeOf(await waitContainer(pid));
    } catch (e) {
      error = `waiting for the exec'd process failed: ${(e as Error).message}`;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([outputs.catch(() => {}), new Promise((r) => (timer = setTimeout(r, DRAIN_MS)))]);
    clearTimeout(timer);
    ended = true;
    if (req.tty) input?.destroy();
    else input?.destroy();
    client.exit(code, error);
  })();
  return {
    stdin(data, end) {
      if (ended || !input || input.destroyed) return;
      if (data?.length) input.write(data);
      // A pty has no EOF of its own; the terminal's ^D arrives as data.
      if (end && !req.tty) closeInput(input);
    },
    resize(cols, rows) {
      if (ended || ptyFd === undefined) return;
      try {
        resizePty(ptyFd, cols, rows);
      } catch {
        /* closed meanwhile */
      }
    },
    close() {
      if (ended) return;
      try {
        killContainer(pid, 9);
      } catch {
        /* already gone */
      }
    },
  };
}

/** EOF for a pipe: end, then close the fd (a pipe has no half-close of its own). */
export function closeInput(w: Writable): void {
  w.end(() => w.destroy());
}

/** Forwards a stream's chunks to the client; resolves at its end. */
export function relay(source: Readable, stream: "stdout" | "stderr" | "pty", client: TerminalClient): Promise<void> {
  return new Promise((resolve) => {
    source.on("data", (d: Buffer | string) => client.data(stream, typeof d === "string" ? Buffer.from(d) : d));
    source.once("end", resolve);
    source.once("close", resolve);
    source.once("error", () => resolve());
  });
}
