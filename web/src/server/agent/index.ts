import type { Namespace, Server, Socket } from "socket.io";
import { AGENT_NAMESPACE, TERMINAL, TERMINAL_SESSION, TerminalData, TerminalExit, type Logger, type TerminalState } from "@berth/core";
import { ensureAgentKey, keyMatches } from "./key.js";

/** Where a session's output and end go (a client socket). */
export interface SessionSink {
  data(msg: TerminalData): void;
  exit(msg: TerminalExit): void;
  /** A shared terminal's participants and status. */
  state?(msg: TerminalState): void;
}

/** Called when a worker process's link is lost for good (not a shutdown it announced): its jobs end. */
export type OnWorkerLost = (hostId: string, instance: string) => void;

/**
 * socket.io's reasons for a link that ended without the worker saying goodbye: the process died
 * (the kernel closed its socket) or the network or the process stalled. A worker that stops on
 * purpose disconnects first ("client namespace disconnect") and finishes its jobs itself.
 */
const LOST_REASONS = new Set(["transport close", "transport error", "ping timeout", "parse error"]);
/** A live worker whose link merely blinked reconnects within this (its reconnection delay is ≤ 2 s). */
export const WORKER_LOST_GRACE_MS = 3_000;

interface Session {
  hostId: string;
  agent: Socket;
  sink: SessionSink;
}

/**
 * Web's side of the worker links: hostId → the agent socket of that host, and the live
 * exec/attach sessions relayed through them. A worker authenticates with { hostId, key }.
 * One live link per host: a second client presenting the same host id is refused while the
 * first is connected (it would otherwise be handed that host's sessions), and the refusal is
 * logged. The worker reconnects by itself, so a link that dropped comes back.
 */
export class AgentHub {
  private readonly agents = new Map<string, Socket>();
  private readonly sessions = new Map<string, Session>();

  private readonly lostTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly log: Logger,
    private readonly onWorkerLost?: OnWorkerLost,
  ) {}

  /** Mounts `/agent` on the socket.io server; writes $BERTH_HOME/agent.key if missing. */
  attach(io: Server, home: string): Namespace {
    const key = ensureAgentKey(home);
    const nsp = io.of(AGENT_NAMESPACE);
    nsp.use((socket, next) => {
      const auth = socket.handshake.auth as { hostId?: unknown; instance?: unknown; key?: unknown } | undefined;
      const hostId = auth?.hostId;
      if (typeof hostId !== "string" || !/^[a-z0-9-]{1,64}$/.test(hostId) || !keyMatches(key, auth?.key)) {
        this.log.warn({ hostId: typeof hostId === "string" ? hostId.slice(0, 64) : undefined, ip: socket.handshake.address }, "refused an agent link: bad host id or key");
        return next(new Error("unauthorized"));
      }
      const live = this.agents.get(hostId);
      if (live?.connected) {
        this.log.warn({ hostId, ip: socket.handshake.address, connectedFrom: live.handshake.address }, "refused a second agent link for a host that is already connected");
        return next(new Error(`host ${hostId} is already connected`));
      }
      const data = socket.data as { hostId: string; instance?: string };
      data.hostId = hostId;
      // Workers before instance ids sent none: their lost links end no jobs (their next start does).
      if (typeof auth?.instance === "string" && /^[0-9a-f-]{36}$/.test(auth.instance)) data.instance = auth.instance;
      next();
    });
    nsp.on("connection", (socket) => this.onAgent(socket));
    return nsp;
  }

  private onAgent(socket: Socket): void {
    const { hostId, instance } = socket.data as { hostId: string; instance?: string };
    const previous = this.agents.get(hostId);
    if (previous?.connected && previous !== socket) {
      // Two handshakes for one host passed the check at once: the first stays, this one goes.
      this.log.warn({ hostId, ip: socket.handshake.address }, "refused a second agent link for a host that is already connected");
      socket.disconnect(true);
      return;
    }
    this.agents.set(hostId, socket);
    this.log.info({ hostId }, "host agent connected");
    socket.on(TERMINAL.data, (p: unknown) => {
      const m = TerminalData.safeParse(p);
      if (!m.success) return;
      const s = this.sessions.get(m.data.session);
      if (s && s.agent === socket) s.sink.data(m.data);
    });
    socket.on(TERMINAL_SESSION.state, (p: unknown) => {
      const m = p as TerminalState | undefined;
      if (typeof m?.session !== "string") return;
      const s = this.sessions.get(m.session);
      if (s && s.agent === socket) s.sink.state?.(m);
    });
    socket.on(TERMINAL.exit, (p: unknown) => {
      const m = TerminalExit.safeParse(p);
      if (!m.success) return;
      const s = this.sessions.get(m.data.session);
      if (!s || s.agent !== socket) return;
      this.sessions.delete(m.data.session);
      s.sink.exit(m.data);
    });
    socket.on("disconnect", (reason) => {
      if (this.agents.get(hostId) === socket) this.agents.delete(hostId);
      this.log.warn({ hostId, reason }, "host agent disconnected");
      for (const [id, s] of this.sessions) {
        if (s.agent !== socket) continue;
        this.sessions.delete(id);
        s.sink.exit({ session: id, exitCode: null, error: `lost the connection to host ${hostId}`, kind: "Unavailable" });
      }
      if (instance && this.onWorkerLost && LOST_REASONS.has(reason)) this.whenNotBack(hostId, instance);
    });
  }

  /** After the grace: unless the same worker process is linked again, its jobs end now. */
  private whenNotBack(hostId: string, instance: string): void {
    const timer = setTimeout(() => {
      this.lostTimers.delete(timer);
      const live = this.agents.get(hostId);
      if (live?.connected && (live.data as { instance?: string }).instance === instance) return;
      this.log.warn({ hostId, instance }, "the worker's link was lost and it did not come back: ending the jobs it was running");
      this.onWorkerLost!(hostId, instance);
    }, WORKER_LOST_GRACE_MS);
    this.lostTimers.add(timer);
  }

  /** Web is stopping: no more ends of lost workers' jobs from this process. */
  stop(): void {
    for (const t of this.lostTimers) clearTimeout(t);
    this.lostTimers.clear();
  }

  /** How many hosts have a live link. */
  connectedCount(): number {
    let n = 0;
    for (const a of this.agents.values()) if (a.connected) n++;
    return n;
  }

  /** Every live link (to ask each host about its shared terminals). */
  connected(): Socket[] {
    return [...this.agents.values()].filter((a) => a.connected);
  }

  agentFor(hostId: string): Socket | undefined {
    const a = this.agents.get(hostId);
    return a?.connected ? a : undefined;
  }

  /** Registers a session on `agent` and sends it the start request; resolves with the agent's ack. */
  async start(agent: Socket, event: string, session: string, payload: object, sink: SessionSink): Promise<{ session: string } | { error: string; kind: string }> {
    const hostId = (agent.data as { hostId: string }).hostId;
    this.sessions.set(session, { hostId, agent, sink });
    try {
      const ack = (await agent.timeout(15_000).emitWithAck(event, { ...payload, session })) as { session: string } | { error: string; kind: string };
      if ("error" in ack) this.sessions.delete(session);
      return ack;
    } catch {
      this.sessions.delete(session);
      return { error: `host ${hostId} did not answer`, kind: "Unavailable" };
    }
  }

  /** Input from the client; only to sessions the client owns (checked by the caller's own map). */
  send(session: string, event: string, payload: object): void {
    this.sessions.get(session)?.agent.emit(event, { ...payload, session });
  }

  /** The client went away: the worker ends the session (kills an exec'd process). */
  close(session: string): void {
    const s = this.sessions.get(session);
    if (!s) return;
    this.sessions.delete(session);
    s.agent.emit(TERMINAL.close, { session });
  }
}
