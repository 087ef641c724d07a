import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Participant, TerminalControl, TerminalSessionInfo, TerminalState } from "@berth/core";
import type { SessionHandle, TerminalClient } from "../containers/terminal.js";
import type { AsciicastRecorder } from "./asciicast.js";
import { RingBuffer } from "./ring.js";

/** Scrollback kept per session (replayed to whoever joins). */
export const SCROLLBACK_BYTES = 256 * 1024;
/** How long a running session with nobody in it lives on (a closed tab comes back within this). */
export const IDLE_MS = 60 * 60 * 1000;
/** How long the end of a process waits for its container's exit to be recorded (a stop in progress). */
const CONTAINER_EXIT_WAIT_MS = 30_000;
const KILLED_EXIT_WAIT_MS = 2_000;

interface Client {
  pid: string;
  user: string;
  via: Participant["via"];
  sink: TerminalClient;
  cols?: number;
  rows?: number;
}

/** What the session needs of its host: exec into the container, whether its PID 1 is gone, a recorder. */
export interface SessionHost {
  exec(cmd: string[], cols: number, rows: number, client: TerminalClient): Promise<SessionHandle>;
  /** Pid of the container's init while the manager has it (also while it is being reaped). */
  containerPid(): number | undefined;
  record(session: SharedTerminal, n: number): Promise<AsciicastRecorder>;
  ended(session: SharedTerminal): void;
}

/**
 * One shared terminal: a process with a pty in a container, its scrollback, and the clients
 * attached to it. Exactly one client drives (its input and its size reach the pty); the others
 * watch. The driver hands the wheel to a named participant; a watcher may ask for it, and gets
 * it at once when nobody drives. The session outlives its clients; it ends with its process
 * ("session ended (exit N)") or its container ("container stopped (exit N)").
 */
export class SharedTerminal {
  readonly id = randomBytes(8).toString("hex");
  readonly startedAt = new Date();
  endedAt?: Date;
  status: TerminalState["status"] = "running";
  exitCode: number | null = null;
  message?: string;
  cols: number;
  rows: number;
  private readonly ring = new RingBuffer(SCROLLBACK_BYTES);
  private readonly clients = new Map<string, Client>();
  private driver?: string;
  private readonly requests = new Set<string>();
  private proc?: SessionHandle;
  private recorder?: AsciicastRecorder;
  private recordings = 0;
  private containerExit?: number | null;
  private awaitingContainer?: NodeJS.Timeout;
  private idle?: NodeJS.Timeout;

  constructor(
    private readonly host: SessionHost,
    readonly teamId: string,
    readonly containerId: string,
    readonly containerName: string,
    readonly startedBy: string,
    size: { cols?: number; rows?: number },
  ) {
    this.cols = size.cols ?? 80;
    this.rows = size.rows ?? 24;
  }

  /** Starts the process; rejects (kind and all) when it cannot start. */
  async start(cmd: string[], record: boolean): Promise<void> {
    let failed: string | undefined;
    const h = await this.host.exec(cmd, this.cols, this.rows, {
      data: (_stream, d) => this.output(d),
      exit: (code, error) => {
        if (!this.proc) failed = error ?? `the shell exited at once (exit ${code})`;
        this.processExited(code, error);
      },
    });
    if (failed) throw new Error(failed);
    this.proc = h;
    if (record) await this.startRecording();
  }

  private output(d: Buffer): void {
    this.ring.push(d);
    this.recorder?.output(d);
    for (const c of this.clients.values()) c.sink.data("pty", d);
  }

  /** A client joins: once bound, it gets the scrollback, then live output and every change of state. */
  private attach(link: string, c: Client): SessionHandle & { bind(sink: TerminalClient): void } {
    return {
      bind: (sink: TerminalClient) => {
        c.sink = sink;
        const scrollback = this.ring.contents();
        if (scrollback.length) sink.data("pty", scrollback);
        if (this.status !== "running") {
          sink.state?.(this.stateFor(c));
          sink.exit(this.exitCode, this.message);
          return;
        }
        this.clients.set(link, c);
        clearTimeout(this.idle);
        if (!this.driver) this.setDriver(link);
        this.broadcastState();
      },
      stdin: (data) => {
        if (this.driver !== link || !data?.length || this.status !== "running") return;
        this.proc?.stdin(data, false);
      },
      resize: (cols, rows) => {
        c.cols = cols;
        c.rows = rows;
        if (this.driver === link) this.applySize(cols, rows);
      },
      control: (op) => this.control(link, op),
      close: () => this.leave(link),
    };
  }

  /** The agent's entry: a new client of this session. */
  connect(link: string, who: { user: string; via: Participant["via"] }, size: { cols?: number; rows?: number }, sink: TerminalClient): SessionHandle {
    const c: Client = { pid: randomBytes(4).toString("hex"), ...who, sink, ...(size.cols && size.rows ? { cols: size.cols, rows: size.rows } : {}) };
    const h = this.attach(link, c);
    h.bind(sink);
    return h;
  }

  private control(link: string, op: Omit<TerminalControl, "session">): void {
    if (!this.clients.has(link) || this.status !== "running") return;
    if (op.op === "request") {
      if (!this.driver) this.setDriver(link);
      else if (this.driver !== link) this.requests.add(link);
    } else if (op.op === "handover") {
      if (this.driver !== link) return; // only the driver passes the wheel
      const to = [...this.clients].find(([, c]) => c.pid === op.to)?.[0];
      if (!to) return;
      this.setDriver(to);
    } else if (op.op === "record") {
      if (this.driver !== link) return;
      if (op.on && !this.recorder) void this.startRecording().then(() => this.broadcastState());
      if (!op.on && this.recorder) void this.stopRecording().then(() => this.broadcastState());
      return;
    }
    this.broadcastState();
  }

  private setDriver(link: string): void {
    this.driver = link;
    this.requests.delete(link);
    const c = this.clients.get(link);
    if (c?.cols && c.rows) this.applySize(c.cols, c.rows);
  }

  private applySize(cols: number, rows: number): void {
    if (cols === this.cols && rows === this.rows) return;
    this.cols = cols;
    this.rows = rows;
    this.proc?.resize(cols, rows);
    this.recorder?.resize(cols, rows);
    this.broadcastState();
  }

  private leave(link: string): void {
    if (!this.clients.delete(link)) return;
    this.requests.delete(link);
    if (this.driver === link) {
      this.driver = undefined;
      // The longest-present participant takes over (a watcher who asked first, if any).
      const next = [...this.requests][0] ?? this.clients.keys().next().value;
      if (next) this.setDriver(next);
    }
    if (this.clients.size === 0 && this.status === "running") {
      this.idle = setTimeout(() => this.proc?.close(), IDLE_MS);
      this.idle.unref();
    }
    this.broadcastState();
  }

  private async startRecording(): Promise<void> {
    this.recorder = await this.host.record(this, ++this.recordings);
  }

  private async stopRecording(): Promise<void> {
    const r = this.recorder;
    this.recorder = undefined;
    await r?.close();
  }

  /** The container's exit was recorded (its processes, this one included, are gone). */
  containerExited(exitCode: number | null): void {
    this.containerExit = exitCode;
    if (this.awaitingContainer) this.end("stopped", exitCode);
  }

  private processExited(code: number | null, error?: string): void {
    if (this.status !== "running") return;
    if (this.containerExit !== undefined) return this.end("stopped", this.containerExit);
    if (!this.proc) return this.end("ended", code, error);
    // A process killed because its container's PID 1 died: say so once the container's exit is known.
    if (containerDying(this.host.containerPid())) {
      this.awaitingContainer = setTimeout(() => this.end("ended", code, error), CONTAINER_EXIT_WAIT_MS);
      return;
    }
    // SIGKILLed while PID 1 may still be on its way out (a stop's kill reaches the session's shell
    // first): give the container's exit a moment to arrive before calling it the session's own end.
    if (code === 137) {
      this.awaitingContainer = setTimeout(() => this.end("ended", code, error), KILLED_EXIT_WAIT_MS);
      return;
    }
    this.end("ended", code, error);
  }

  private end(status: "ended" | "stopped", exitCode: number | null, error?: string): void {
    if (this.status !== "running") return;
    clearTimeout(this.awaitingContainer);
    clearTimeout(this.idle);
    this.status = status;
    this.exitCode = exitCode;
    this.endedAt = new Date();
    this.message = status === "stopped" ? `container stopped (exit ${exitCode ?? "unknown"})` : error ? `session ended: ${error}` : `session ended (exit ${exitCode ?? "unknown"})`;
    void this.stopRecording();
    this.broadcastState();
    for (const c of this.clients.values()) c.sink.exit(exitCode, this.message);
    this.clients.clear();
    this.driver = undefined;
    this.requests.clear();
    this.host.ended(this);
  }

  /** Ends the process (worker shutdown, or nobody came back). */
  kill(): void {
    this.proc?.close();
  }

  participants(): Participant[] {
    return [...this.clients].map(([link, c]) => ({ id: c.pid, user: c.user, driver: link === this.driver, via: c.via }));
  }

  private stateFor(c: Client): Omit<TerminalState, "session"> {
    const requests = [...this.requests].map((l) => this.clients.get(l)?.pid).filter((p): p is string => !!p);
    return {
      id: this.id,
      containerId: this.containerId,
      containerName: this.containerName,
      you: c.pid,
      participants: this.participants(),
      requests,
      status: this.status,
      exitCode: this.exitCode,
      ...(this.message ? { message: this.message } : {}),
      cols: this.cols,
      rows: this.rows,
      ...(this.recorder ? { recording: this.recorder.info.id } : {}),
    };
  }

  private broadcastState(): void {
    for (const c of this.clients.values()) c.sink.state?.(this.stateFor(c));
  }

  info(): TerminalSessionInfo {
    return {
      id: this.id,
      teamId: this.teamId,
      containerId: this.containerId,
      containerName: this.containerName,
      startedBy: this.startedBy,
      startedAt: this.startedAt.toISOString(),
      ...(this.endedAt ? { endedAt: this.endedAt.toISOString() } : {}),
      status: this.status,
      exitCode: this.exitCode,
      participants: this.participants(),
      ...(this.recorder ? { recording: this.recorder.info.id } : {}),
    };
  }
}

/** Whether a container's PID 1 is gone or a zombie (its exit is being recorded). */
function containerDying(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After the command's name: state, ppid, pgrp, session, tty, tpgid, flags.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const PF_EXITING = 0x4; // PID 1 is exiting: it kills the namespace's other processes before it becomes a zombie
    return fields[0] === "Z" || fields[0] === "X" || (Number(fields[6]) & PF_EXITING) !== 0;
  } catch {
    return true;
  }
}
