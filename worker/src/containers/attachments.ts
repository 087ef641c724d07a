import { FailedPrecondition, type AgentAttachStart, type AgentExecStart } from "@berth/core";
import { resizePty } from "@berth/native";
import type { ManagerContext } from "./context.js";
import { closeInput, startExec, type SessionHandle, type TerminalClient } from "./terminal.js";

/**
 * The terminal side of a host's containers: clients attached to a container's own pty or stdin
 * (also before it starts: `run -it` waits for its first attach), input typed before the start,
 * and exec into a running container.
 */
export class Attachments {
  /** Attached clients per container (session → client), also before the container starts. */
  private readonly attached = new Map<string, Map<string, TerminalClient>>();
  /** Interactive containers waiting for their first attach. */
  private readonly attachWaiters = new Map<string, () => void>();
  private readonly pendingInput = new Map<string, Buffer[]>();
  private readonly pendingSize = new Map<string, { cols: number; rows: number } | undefined>();

  constructor(private readonly c: ManagerContext) {}

  /** `berth exec`: a new process in a running container. */
  async exec(req: AgentExecStart, client: TerminalClient): Promise<SessionHandle> {
    const r = this.c.running.get(req.containerId);
    if (!r) throw new FailedPrecondition(`container ${req.containerId.slice(0, 12)} is not running`);
    if (this.c.paused.has(req.containerId)) throw new FailedPrecondition(`Container ${req.containerId} is paused, unpause the container before exec`);
    return startExec(r.exec, req, client);
  }

  /**
   * Attach to a container's terminal (or stdin and output pipes): output from now on, input to
   * its pty/stdin, its exit code at the end. A container created with -i/-t waits for this.
   */
  async attach(req: AgentAttachStart, client: TerminalClient): Promise<SessionHandle> {
    const id = req.containerId;
    if (!this.c.running.has(id)) {
      const row = await this.c.d.db.container.findUnique({ where: { id }, select: { state: true, exitCode: true, error: true } });
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
    const r = () => this.c.running.get(id);
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

  /** The terminal size the first attach asked for (taken once, by the start). */
  attachSize(id: string): { ttySize?: { cols: number; rows: number } } {
    const size = this.pendingSize.get(id);
    this.pendingSize.delete(id);
    return size ? { ttySize: size } : {};
  }

  /** Input typed before the container started, now that it runs. */
  flushPendingInput(id: string): void {
    const input = this.c.running.get(id)?.input;
    for (const b of this.pendingInput.get(id) ?? []) input?.write(b);
    this.pendingInput.delete(id);
  }

  waitForAttach(id: string, ms: number): Promise<void> {
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

  /** Shutdown: nobody waits for an attach any more. */
  wakeAll(): void {
    for (const wake of [...this.attachWaiters.values()]) wake();
  }

  broadcast(id: string, stream: "stdout" | "stderr" | "pty", d: Buffer | string): void {
    const clients = this.attached.get(id);
    if (!clients?.size) return;
    const buf = typeof d === "string" ? Buffer.from(d) : d;
    for (const c of clients.values()) c.data(stream, buf);
  }

  end(id: string, exitCode: number | null, error?: string): void {
    const clients = this.attached.get(id);
    this.attached.delete(id);
    this.pendingSize.delete(id);
    this.pendingInput.delete(id);
    for (const c of clients?.values() ?? []) c.exit(exitCode, error);
  }
}

export function tryResize(fd: number, cols: number, rows: number) {
  try {
    resizePty(fd, cols, rows);
  } catch {
    /* the terminal is gone */
  }
}
