import { readFileSync } from "node:fs";
import { io, type Socket } from "socket.io-client";
import {
  AGENT_NAMESPACE,
  AgentAttachStart,
  AgentExecStart,
  AgentTerminalJoin,
  AgentTerminalOpen,
  agentKeyPath,
  homePaths,
  TERMINAL,
  TERMINAL_SESSION,
  TerminalClose,
  TerminalControl,
  TerminalResize,
  TerminalStdin,
  type Logger,
  type StartAck,
} from "@berth/core";
import type { ContainerManager } from "../containers/index.js";
import type { SessionHandle, TerminalClient } from "../containers/terminal.js";
import { registerLogReads } from "./logs.js";
import { TerminalSessions } from "../terminals/index.js";
import { registerTerminalQueries } from "../terminals/agent.js";

/** After a refusal or a disconnect web asked for (socket.io's own retries cover the rest). */
const RECONNECT_MS = 2_000;

export interface AgentLinkOptions {
  /** Web's base URL (config().url: BERTH_URL, else http://127.0.0.1:$BERTH_PORT). */
  url: string;
  home: string;
  hostId: string;
  /** This worker process's id: web ends the jobs of an instance whose link was lost (kill -9, crash). */
  instance: string;
  manager: ContainerManager;
  log: Logger;
}

export interface AgentLink {
  close(): void;
}

/**
 * The worker's link to web (`/agent` namespace): web relays exec and attach sessions of the
 * containers on this host through it. Authenticated by the key web wrote to $BERTH_HOME/agent.key
 * (read on every (re)connect, so a worker started before web finds it once it exists).
 * Reconnects for ever, whatever ended the link; sessions of a lost link end (web tells their clients).
 */
export function connectAgent(o: AgentLinkOptions): AgentLink {
  const u = new URL(o.url);
  const socket: Socket = io(`${u.origin}${AGENT_NAMESPACE}`, {
    path: `${u.pathname.replace(/\/+$/, "")}/socket.io`,
    auth: (cb) => {
      let key = "";
      try {
        key = readFileSync(agentKeyPath(o.home), "utf8").trim();
      } catch {
        /* web has not written it yet: refused, retried */
      }
      cb({ hostId: o.hostId, instance: o.instance, key });
    },
    reconnectionDelayMax: 2_000,
  });
  const sessions = new Map<string, SessionHandle>();
  /** Input that arrived while a session was still starting (acknowledged, process not yet there). */
  const starting = new Map<string, ((h: SessionHandle) => void)[]>();
  const withSession = (session: string, op: (h: SessionHandle) => void) => {
    const h = sessions.get(session);
    if (h) op(h);
    else starting.get(session)?.push(op);
  };
  const log = o.log.child({ component: "agent" });

  const ended = new Set<string>();
  const clientFor = (session: string): TerminalClient => ({
    data: (stream, data) => socket.emit(TERMINAL.data, { session, stream, data }),
    exit: (exitCode, error) => {
      if (!sessions.delete(session)) ended.add(session); // before start() stored its handle
      socket.emit(TERMINAL.exit, { session, exitCode, ...(error ? { error } : {}) });
    },
    state: (st) => socket.emit(TERMINAL_SESSION.state, { session, ...st }),
  });
  const terminals = new TerminalSessions(o.manager, homePaths(o.home).recordings, log);
  const starters = {
    exec: { schema: AgentExecStart, run: (req: AgentExecStart, c: TerminalClient) => o.manager.exec(req, c) },
    attach: { schema: AgentAttachStart, run: (req: AgentAttachStart, c: TerminalClient) => o.manager.attach(req, c) },
    "terminal open": { schema: AgentTerminalOpen, run: (req: AgentTerminalOpen, c: TerminalClient) => terminals.open(req, c) },
    "terminal join": { schema: AgentTerminalJoin, run: async (req: AgentTerminalJoin, c: TerminalClient) => terminals.join(req, c) },
  };

  const start = (kind: keyof typeof starters) => async (payload: unknown, ack?: (a: StartAck) => void) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const starter = starters[kind] as { schema: { safeParse(p: unknown): { success: true; data: { session: string } } | { success: false; error: { issues: { message: string }[] } } }; run(req: unknown, c: TerminalClient): Promise<SessionHandle> };
    const parsed = starter.schema.safeParse(payload);
    if (!parsed.success) return reply({ error: `invalid ${kind} request: ${parsed.error.issues.map((i) => i.message).join("; ")}`, kind: "InvalidArgument" });
    const req = parsed.data;
    try {
      // Acknowledge first: the session exists from now on (its output may follow at once).
      const client = clientFor(req.session);
      starting.set(req.session, []);
      reply({ session: req.session });
      const handle = await starter.run(req, client);
      const queued = starting.get(req.session) ?? [];
      starting.delete(req.session);
      if (ended.delete(req.session)) return; // over already (it could not start)
      sessions.set(req.session, handle);
      for (const op of queued) op(handle);
    } catch (err) {
      starting.delete(req.session);
      const e = err as Error & { kind?: string };
      socket.emit(TERMINAL.exit, { session: req.session, exitCode: null, error: e.message, kind: e.kind ?? "Internal" });
    }
  };

  socket.on(TERMINAL.execStart, start("exec"));
  socket.on(TERMINAL.attachStart, start("attach"));
  socket.on(TERMINAL_SESSION.open, start("terminal open"));
  socket.on(TERMINAL_SESSION.join, start("terminal join"));
  socket.on(TERMINAL_SESSION.control, (p: unknown) => {
    const m = TerminalControl.safeParse(p);
    if (m.success) withSession(m.data.session, (h) => h.control?.(m.data));
  });
  registerTerminalQueries(socket, terminals, log);
  socket.on(TERMINAL.stdin, (p: unknown) => {
    const m = TerminalStdin.safeParse(p);
    if (m.success) withSession(m.data.session, (h) => h.stdin(m.data.data ? Buffer.from(m.data.data) : undefined, !!m.data.end));
  });
  socket.on(TERMINAL.resize, (p: unknown) => {
    const m = TerminalResize.safeParse(p);
    if (m.success) withSession(m.data.session, (h) => h.resize(m.data.cols, m.data.rows));
  });
  socket.on(TERMINAL.close, (p: unknown) => {
    const m = TerminalClose.safeParse(p);
    if (!m.success) return;
    withSession(m.data.session, (h) => h.close());
    sessions.delete(m.data.session);
  });
  const closeLogReads = registerLogReads(socket, homePaths(o.home).containers, log);
  // socket.io-client retries a dropped transport by itself, but not a refusal by web's middleware
  // (bad key, host already connected) nor a disconnect web asked for: retry those here, so the
  // link always comes back (web's /api/health counts live links as agentsOnline).
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const reconnectSoon = () => {
    if (closed || socket.active || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      if (!closed && !socket.connected) socket.connect();
    }, RECONNECT_MS);
  };
  socket.on("connect", () => log.info({ url: o.url }, "agent link connected"));
  socket.on("connect_error", (err: Error) => {
    if (socket.active) log.debug({ err: err.message }, "agent link: connection failed, retrying");
    else log.warn({ err: err.message }, `agent link refused by web: retrying in ${RECONNECT_MS} ms`);
    reconnectSoon();
  });
  socket.on("disconnect", (reason: string) => {
    log.warn({ reason }, "agent link lost");
    reconnectSoon();
    // Web ended these sessions for their clients; do not leave exec'd processes behind.
    for (const h of sessions.values()) h.close();
    sessions.clear();
  });
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      for (const h of sessions.values()) h.close();
      sessions.clear();
      terminals.closeAll();
      closeLogReads();
      socket.disconnect();
    },
  };
}
