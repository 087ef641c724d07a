import { randomUUID } from "node:crypto";
import type { Socket } from "socket.io";
import {
  NotFound,
  RecordingId,
  TERMINAL,
  TERMINAL_SESSION,
  TerminalControl,
  TerminalJoin,
  TerminalOpen,
  type AgentTerminalFindAck,
  type RecordingInfo,
  type StartAck,
  type TerminalSessionInfo,
} from "@berth/core";
import { z } from "zod";
import type { Services } from "../services.js";
import type { AgentHub, SessionSink } from "../agent/index.js";
import { findContainer } from "../containers/resolve.js";
import { thawForSession } from "../stacks/freeze.js";
import type { AwakeSessions } from "../stacks/session-awake.js";
import { socketActor } from "../socket/actor.js";
import type { SocketData } from "../socket/auth.js";
import { can, type Actor } from "../policy/index.js";

type Reply<T> = (a: T | { error: string; kind: string }) => void;
const AGENT_TIMEOUT_MS = 10_000;
/** A replayed recording is read whole into the page: bounded. */
const MAX_RECORDING = 16 * 1024 * 1024;
const ListReq = z.object({}).passthrough();
const RecordingReq = z.object({ id: RecordingId });

/**
 * Shared terminals for one client socket: open a session in a container, join one by id (the
 * shareable URL), pass the wheel, and list or replay the team's sessions and recordings. Only
 * members of the container's team with `container.terminal` (not viewers) get a terminal; a
 * session of another team answers as one that does not exist. The client's link to a session
 * joins `mine`, so exec:stdin / exec:resize and the disconnect clean-up of terminal.ts apply.
 */
export function registerSharedTerminalHandlers(s: Services, socket: Socket, hub: AgentHub, mine: AwakeSessions): void {
  const { user } = socket.data as SocketData;
  const who = { user: user.name, via: user.via === "token" ? ("cli" as const) : ("browser" as const) };
  const sink: SessionSink = {
    data: (m) => socket.emit(TERMINAL.data, m),
    exit: (m) => {
      mine.delete(m.session);
      socket.emit(TERMINAL.exit, m);
    },
    state: (m) => socket.emit(TERMINAL_SESSION.state, m),
  };

  const fail = (reply: Reply<never>, err: unknown) => reply({ error: (err as Error).message, kind: (err as { kind?: string }).kind ?? "Internal" });
  const invalid = (what: string, e: z.ZodError) => ({ error: `invalid ${what}: ${e.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, kind: "InvalidArgument" });

  /** Starts the client's link on `agent`; only while the socket is still there. */
  const link = async (agent: Socket, event: string, containerId: string, payload: object, reply: Reply<StartAck>) => {
    if (!socket.connected) return;
    const session = randomUUID();
    mine.add(session);
    const ack = await hub.start(agent, event, session, payload, sink);
    if ("error" in ack) mine.delete(session);
    else if (!socket.connected) {
      mine.delete(session);
      hub.close(session);
      return;
    } else mine.hold(session, containerId);
    reply(ack);
  };

  socket.on(TERMINAL_SESSION.open, async (payload: unknown, ack?: Reply<StartAck>) => {
    const reply: Reply<StartAck> = typeof ack === "function" ? ack : () => {};
    try {
      const p = TerminalOpen.safeParse(payload);
      if (!p.success) return reply(invalid("terminal request", p.error));
      const actor = await socketActor(s, socket, TERMINAL_SESSION.open, "container.terminal", p.data.containerId);
      const row = await findContainer(s.db, actor.team.id, p.data.containerId);
      if (!row) return reply({ error: `No such container: ${p.data.containerId}`, kind: "NotFound" });
      if (row.state !== "running") return reply({ error: `container ${row.name} is not running: start it first`, kind: "FailedPrecondition" });
      const agent = hub.agentFor(row.hostId);
      if (!agent) return reply({ error: `the host of container ${row.name} is not connected`, kind: "Unavailable" });
      await thawForSession(s, row.id);
      await link(agent, TERMINAL_SESSION.open, row.id, { ...p.data, containerId: row.id, containerName: row.name, teamId: actor.team.id, ...who }, reply);
    } catch (err) {
      fail(reply, err);
    }
  });

  socket.on(TERMINAL_SESSION.join, async (payload: unknown, ack?: Reply<StartAck>) => {
    const reply: Reply<StartAck> = typeof ack === "function" ? ack : () => {};
    try {
      const p = TerminalJoin.safeParse(payload);
      if (!p.success) return reply(invalid("terminal request", p.error));
      const actor = await socketActor(s, socket, TERMINAL_SESSION.join, "container.terminal", p.data.id);
      const found = await locate(hub, p.data.id, actor);
      if (!found) return reply({ error: `No such terminal session: ${p.data.id}`, kind: "NotFound" });
      const { container, ...req } = p.data;
      if (container !== undefined) {
        const row = await findContainer(s.db, actor.team.id, container);
        if (!row) return reply({ error: `No such container: ${container}`, kind: "NotFound" });
        if (row.id !== found.containerId) return reply({ error: `terminal session ${p.data.id} is not in container ${container}`, kind: "InvalidArgument" });
      }
      await thawForSession(s, found.containerId);
      await link(found.agent, TERMINAL_SESSION.join, found.containerId, { ...req, teamId: actor.team.id, ...who }, reply);
    } catch (err) {
      fail(reply, err);
    }
  });

  socket.on(TERMINAL_SESSION.control, (p: unknown) => {
    const m = TerminalControl.safeParse(p);
    if (m.success && mine.has(m.data.session)) hub.send(m.data.session, TERMINAL_SESSION.control, m.data);
  });

  /** Reading what terminals showed is a terminal right: asked as a read (no audit row per refresh), then container.terminal. */
  const terminalReader = (actor: Actor): Actor => {
    const d = can(actor, "container.terminal");
    if (!d.allow) throw d.error;
    return actor;
  };

  socket.on(TERMINAL_SESSION.list, async (payload: unknown, ack?: Reply<{ sessions: TerminalSessionInfo[]; recordings: RecordingInfo[] }>) => {
    const reply: Reply<{ sessions: TerminalSessionInfo[]; recordings: RecordingInfo[] }> = typeof ack === "function" ? ack : () => {};
    try {
      if (!ListReq.safeParse(payload ?? {}).success) return reply({ error: "invalid terminal list request", kind: "InvalidArgument" });
      const actor = terminalReader(await socketActor(s, socket, TERMINAL_SESSION.list, "container.read", ""));
      const answers = await Promise.all(
        hub.connected().map((a) =>
          (a.timeout(AGENT_TIMEOUT_MS).emitWithAck(TERMINAL_SESSION.list, { teamId: actor.team.id }) as Promise<{ sessions: TerminalSessionInfo[]; recordings: RecordingInfo[] } | { error: string }>).catch(
            (err: Error) => ({ error: err.message }),
          ),
        ),
      );
      const sessions: TerminalSessionInfo[] = [];
      const recordings: RecordingInfo[] = [];
      for (const a of answers) {
        if ("error" in a) s.log.warn({ err: a.error }, "a host did not list its terminals");
        else {
          sessions.push(...a.sessions);
          recordings.push(...a.recordings);
        }
      }
      sessions.sort((x, y) => y.startedAt.localeCompare(x.startedAt));
      recordings.sort((x, y) => y.startedAt.localeCompare(x.startedAt));
      reply({ sessions, recordings });
    } catch (err) {
      fail(reply, err);
    }
  });

  socket.on(TERMINAL_SESSION.recording, async (payload: unknown, ack?: Reply<{ info: RecordingInfo; cast: string }>) => {
    const reply: Reply<{ info: RecordingInfo; cast: string }> = typeof ack === "function" ? ack : () => {};
    try {
      const p = RecordingReq.safeParse(payload);
      if (!p.success) return reply(invalid("recording request", p.error));
      const actor = terminalReader(await socketActor(s, socket, TERMINAL_SESSION.recording, "container.read", p.data.id));
      for (const a of hub.connected()) {
        const parts: Buffer[] = [];
        let info: RecordingInfo | undefined;
        for (let offset = 0; ; ) {
          const r = (await a.timeout(AGENT_TIMEOUT_MS).emitWithAck(TERMINAL_SESSION.recording, { id: p.data.id, teamId: actor.team.id, offset })) as { info: RecordingInfo; data: Buffer; total: number } | { error: string; kind: string };
          if ("error" in r) break;
          info = r.info;
          const data = Buffer.from(r.data);
          parts.push(data);
          offset += data.length;
          if (data.length === 0 || offset >= Math.min(r.total, MAX_RECORDING)) break;
        }
        if (info) return reply({ info, cast: Buffer.concat(parts).toString("utf8") });
      }
      throw new NotFound(`recording ${p.data.id}`);
    } catch (err) {
      fail(reply, err);
    }
  });
}

/** The agent of the host that has session `id`, if it belongs to the actor's team. */
async function locate(hub: AgentHub, id: string, actor: Actor): Promise<{ agent: Socket; containerId: string } | undefined> {
  for (const a of hub.connected()) {
    const r = (await a
      .timeout(AGENT_TIMEOUT_MS)
      .emitWithAck(TERMINAL_SESSION.find, { id })
      .catch(() => ({ found: false }))) as AgentTerminalFindAck;
    if (r.found && r.teamId === actor.team.id) return { agent: a, containerId: r.containerId };
  }
  return undefined;
}
