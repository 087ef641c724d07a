import { randomUUID } from "node:crypto";
import type { Socket } from "socket.io";
import { AttachStart, ExecStart, TERMINAL, TerminalResize, TerminalStdin, type StartAck } from "@berth/core";
import type { Services } from "../services.js";
import type { AgentHub } from "../agent/index.js";
import { findContainer } from "../containers/resolve.js";
import { socketActor } from "./actor.js";
import { registerSharedTerminalHandlers } from "../terminals/socket.js";
import { thawForSession } from "../stacks/freeze.js";
import { AwakeSessions } from "../stacks/session-awake.js";

/**
 * A client's exec and attach sessions (`berth exec`, `berth run -it`, the dashboard terminal):
 * validated and resolved here, relayed to the agent of the container's host. Start events are
 * acknowledged with { session } or { error, kind }; then exec:data / exec:exit come back and
 * exec:stdin / exec:resize go in. A disconnect ends every session of the socket.
 */
export function registerTerminalHandlers(s: Services, socket: Socket, hub: AgentHub): void {
  // An open link keeps its stack from freezing (session-awake.ts); deleting it from the set lets go.
  const mine = new AwakeSessions(s);
  const log = s.log.child({ socket: socket.id });

  const start = (kind: "exec" | "attach") => async (payload: unknown, ack?: (a: StartAck) => void) => {
    const reply = typeof ack === "function" ? ack : () => {};
    try {
      const parsed = (kind === "exec" ? ExecStart : AttachStart).safeParse(payload);
      if (!parsed.success) return reply({ error: `invalid ${kind} request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, kind: "InvalidArgument" });
      const req = parsed.data;
      // A shell in a container changes it: members and up, never a read-only token.
      const actor = await socketActor(s, socket, kind === "exec" ? TERMINAL.execStart : TERMINAL.attachStart, kind === "exec" ? "container.exec" : "container.attach", req.containerId);
      const row = await findContainer(s.db, actor.team.id, req.containerId);
      if (!row) return reply({ error: `No such container: ${req.containerId}`, kind: "NotFound" });
      // exec needs a running process to join; attach may come before the start (run -it waits for it).
      const ok = kind === "exec" ? row.state === "running" : row.state === "running" || row.state === "created";
      if (!ok) return reply({ error: `container ${req.containerId} is not running`, kind: "FailedPrecondition" });
      const agent = hub.agentFor(row.hostId);
      if (!agent) return reply({ error: `the host of container ${req.containerId} is not connected`, kind: "Unavailable" });
      await thawForSession(s, row.id);
      if (!socket.connected) return;
      const session = randomUUID();
      mine.add(session);
      const ackd = await hub.start(agent, kind === "exec" ? TERMINAL.execStart : TERMINAL.attachStart, session, { ...req, containerId: row.id }, {
        data: (m) => socket.emit(TERMINAL.data, m),
        exit: (m) => {
          mine.delete(m.session);
          socket.emit(TERMINAL.exit, m);
        },
      });
      if ("error" in ackd) mine.delete(session);
      else if (!socket.connected) {
        mine.delete(session);
        hub.close(session);
        return;
      } else mine.hold(session, row.id);
      reply(ackd);
      log.debug({ kind, session, container: row.id.slice(0, 12) }, "terminal session started");
    } catch (err) {
      reply({ error: (err as Error).message, kind: (err as { kind?: string }).kind ?? "Internal" });
    }
  };

  socket.on(TERMINAL.execStart, start("exec"));
  socket.on(TERMINAL.attachStart, start("attach"));
  socket.on(TERMINAL.stdin, (p: unknown) => {
    const m = TerminalStdin.safeParse(p);
    if (m.success && mine.has(m.data.session)) hub.send(m.data.session, TERMINAL.stdin, m.data);
  });
  socket.on(TERMINAL.resize, (p: unknown) => {
    const m = TerminalResize.safeParse(p);
    if (m.success && mine.has(m.data.session)) hub.send(m.data.session, TERMINAL.resize, m.data);
  });
  registerSharedTerminalHandlers(s, socket, hub, mine);
  socket.on("disconnect", () => {
    for (const session of mine) hub.close(session);
    mine.clear();
  });
}
