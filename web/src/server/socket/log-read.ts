import type { Socket } from "socket.io";
import { LOGS_READ, LogsOpen } from "@berth/core";
import type { Services } from "../services.js";
import type { AgentHub } from "../agent/index.js";
import { socketActor } from "./actor.js";
import { findContainer, isFullContainerId } from "../containers/resolve.js";
import { streamExists } from "../containers/logs.js";
import { LogRead } from "../containers/log-read.js";
import { errorKind } from "../errors.js";

type Ack = (a: unknown) => void;
const MAX_READS_PER_SOCKET = 16;

/**
 * `berth logs` over the client's socket: `logs:open` (acked with { session }), then `logs:next`
 * until an answer says done. A disconnect closes every read of the socket.
 */
export function registerLogReadHandlers(s: Services, socket: Socket, hub: AgentHub): void {
  const reads = new Map<string, LogRead>();
  const log = s.log.child({ socket: socket.id });
  const fail = (reply: Ack, err: unknown) => {
    const kind = (err as { kind?: string }).kind ?? errorKind(err);
    if (kind === "Internal") log.warn({ err: (err as Error).message }, "logs read failed");
    reply({ error: (err as Error).message, kind });
  };

  socket.on(LOGS_READ.open, async (payload: unknown, ack?: Ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const m = LogsOpen.safeParse(payload);
    if (!m.success) return reply({ error: `invalid logs request: ${m.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, kind: "InvalidArgument" });
    if (reads.size >= MAX_READS_PER_SOCKET) return reply({ error: "too many log reads on one connection", kind: "FailedPrecondition" });
    try {
      const ref = m.data.containerId;
      const actor = await socketActor(s, socket, LOGS_READ.open, "container.logs", ref);
      const row = await findContainer(s.db, actor.team.id, ref);
      // An auto-removed container's row is gone, but its stream lingers: a full id still reads it
      // (the stream names no team: only the site admin's).
      const id = row?.id ?? (actor.siteAdmin && isFullContainerId(ref) && (await streamExists(s.redis, ref)) ? ref : undefined);
      if (!id) return reply({ error: `No such container: ${ref}`, kind: "NotFound" });
      const r = new LogRead(s, id, row, m.data, (hostId) => hub.agentFor(hostId));
      await r.open();
      if (!socket.connected) return r.close();
      reads.set(r.session, r);
      reply({ session: r.session, id });
    } catch (err) {
      fail(reply, err);
    }
  });

  socket.on(LOGS_READ.next, async (payload: unknown, ack?: Ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const session = (payload as { session?: unknown })?.session;
    const r = typeof session === "string" ? reads.get(session) : undefined;
    if (!r) return reply({ error: "no such log session", kind: "NotFound" });
    try {
      const chunk = await r.next();
      if (chunk.done) {
        reads.delete(r.session);
        r.close();
      }
      reply(chunk);
    } catch (err) {
      reads.delete(r.session);
      r.close();
      // The client went away mid-read (`logs -f` stopped): closing broke the pending read; nothing failed.
      if (!socket.connected) return;
      fail(reply, err);
    }
  });

  socket.on(LOGS_READ.close, (payload: unknown) => {
    const session = (payload as { session?: unknown })?.session;
    const r = typeof session === "string" ? reads.get(session) : undefined;
    if (!r) return;
    reads.delete(r.session);
    r.close();
  });

  socket.on("disconnect", () => {
    for (const r of reads.values()) r.close();
    reads.clear();
  });
}
