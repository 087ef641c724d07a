import { randomUUID } from "node:crypto";
import fsp from "node:fs/promises";
import path from "node:path";
import { FailedPrecondition, NotFound, type AgentTerminalFindAck, type AgentTerminalJoin, type AgentTerminalOpen, type Logger, type RecordingInfo, type TerminalSessionInfo } from "@berth/core";
import type { ContainerManager } from "../containers/index.js";
import type { SessionHandle, TerminalClient } from "../containers/terminal.js";
import { AsciicastRecorder } from "./asciicast.js";
import { SharedTerminal, type SessionHost } from "./session.js";

/** How long an ended session stays listed and joinable (its scrollback readable). */
export const ENDED_KEEP_MS = 10 * 60 * 1000;
/** At most this many ended sessions are kept (the oldest go first). */
const ENDED_KEEP_MAX = 200;
/** The shell of a new session: bash where the image has it, else sh. */
export const DEFAULT_SHELL = ["/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"];
/** Read in pieces: web takes messages up to 1 MB from its agents. */
export const RECORDING_CHUNK = 512 * 1024;

/**
 * The shared terminals of this host: opened, joined by id (only within their team), listed
 * per team, told when their container stops; their recordings under $BERTH_HOME.
 */
export class TerminalSessions {
  private readonly sessions = new Map<string, SharedTerminal>();
  private readonly expiry = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly manager: ContainerManager,
    private readonly recordingsDir: string,
    private readonly log: Logger,
  ) {
    manager.onExit((containerId, exitCode) => {
      for (const s of this.sessions.values()) if (s.containerId === containerId) s.containerExited(exitCode);
    });
  }

  async open(req: AgentTerminalOpen, client: TerminalClient): Promise<SessionHandle> {
    if (this.manager.pidOf(req.containerId) === undefined) throw new FailedPrecondition(`container ${req.containerName} is not running: start it first`);
    const host: SessionHost = {
      exec: (cmd, cols, rows, c) => this.manager.exec({ session: randomUUID(), containerId: req.containerId, cmd, tty: true, interactive: true, env: ["TERM=xterm-256color"], cols, rows }, c),
      containerPid: () => this.manager.pidOf(req.containerId),
      record: (s, n) =>
        AsciicastRecorder.create(this.recordingsDir, { id: `${s.id}-${n}`, sessionId: s.id, teamId: s.teamId, containerId: s.containerId, containerName: s.containerName, startedBy: s.startedBy }, s.cols, s.rows, `${s.containerName} (${s.startedBy})`),
      ended: (s) => this.ended(s),
    };
    const s = new SharedTerminal(host, req.teamId, req.containerId, req.containerName, req.user, req);
    this.sessions.set(s.id, s);
    try {
      await s.start(req.cmd ?? DEFAULT_SHELL, req.record);
    } catch (err) {
      this.sessions.delete(s.id);
      throw err;
    }
    this.log.info({ terminal: s.id, container: req.containerId.slice(0, 12), user: req.user }, "terminal session opened");
    return s.connect(req.session, { user: req.user, via: req.via }, req, client);
  }

  join(req: AgentTerminalJoin, client: TerminalClient): SessionHandle {
    const s = this.sessions.get(req.id);
    if (!s || s.teamId !== req.teamId) throw new NotFound(`terminal session ${req.id}`);
    return s.connect(req.session, { user: req.user, via: req.via }, req, client);
  }

  find(id: string): AgentTerminalFindAck {
    const s = this.sessions.get(id);
    return s ? { found: true, teamId: s.teamId, containerId: s.containerId } : { found: false };
  }

  list(teamId: string): TerminalSessionInfo[] {
    return [...this.sessions.values()].filter((s) => s.teamId === teamId).map((s) => s.info());
  }

  async recordings(teamId: string): Promise<RecordingInfo[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.recordingsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const out: RecordingInfo[] = [];
    for (const n of names.filter((f) => f.endsWith(".json"))) {
      try {
        const info = JSON.parse(await fsp.readFile(path.join(this.recordingsDir, n), "utf8")) as RecordingInfo;
        if (info.teamId === teamId) out.push(info);
      } catch (err) {
        this.log.warn({ err, file: n }, "unreadable recording info: skipped");
      }
    }
    return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** A piece of a recording's asciicast text (`offset` in bytes), for its team only. */
  async readRecording(id: string, teamId: string, offset: number): Promise<{ info: RecordingInfo; data: Buffer; total: number }> {
    let info: RecordingInfo;
    try {
      info = JSON.parse(await fsp.readFile(path.join(this.recordingsDir, `${id}.json`), "utf8")) as RecordingInfo;
    } catch {
      throw new NotFound(`recording ${id}`);
    }
    if (info.teamId !== teamId) throw new NotFound(`recording ${id}`);
    const fh = await fsp.open(path.join(this.recordingsDir, `${id}.cast`), "r");
    try {
      const total = (await fh.stat()).size;
      const data = Buffer.alloc(Math.max(0, Math.min(RECORDING_CHUNK, total - offset)));
      if (data.length) await fh.read(data, 0, data.length, offset);
      return { info, data, total };
    } finally {
      await fh.close();
    }
  }

  private ended(s: SharedTerminal): void {
    this.expiry.set(
      s.id,
      setTimeout(() => this.drop(s.id), ENDED_KEEP_MS).unref(),
    );
    const ended = [...this.sessions.values()].filter((x) => x.status !== "running");
    for (const old of ended.slice(0, Math.max(0, ended.length - ENDED_KEEP_MAX))) this.drop(old.id);
  }

  private drop(id: string): void {
    clearTimeout(this.expiry.get(id));
    this.expiry.delete(id);
    this.sessions.delete(id);
  }

  /** Worker shutdown: every process ends (their containers are being stopped too). */
  closeAll(): void {
    for (const s of this.sessions.values()) s.kill();
    for (const t of this.expiry.values()) clearTimeout(t);
  }
}
