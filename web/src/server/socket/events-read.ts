import type { Socket } from "socket.io";
import { EVENTS_READ, EventsOpen } from "@berth/core";
import type { Services } from "../services.js";
import { EventsRead } from "../events/read.js";
import { EventAudience } from "../events/audience.js";
import type { SocketData } from "./auth.js";
import { socketTeam } from "./actor.js";
import { errorKind } from "../errors.js";

type Ack = (a: unknown) => void;
const MAX_READS_PER_SOCKET = 8;

/** `berth events` over the client's socket: `events:open` ({ session }), then `events:next` until done. */
export function registerEventReadHandlers(s: Services, socket: Socket): void {
  const reads = new Map<string, EventsRead>();
  const fail = (reply: Ack, err: unknown) => reply({ error: (err as Error).message, kind: errorKind(err) });

  socket.on(EVENTS_READ.open, async (payload: unknown, ack?: Ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const m = EventsOpen.safeParse(payload);
    if (!m.success) return reply({ error: `invalid events request: ${m.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, kind: "InvalidArgument" });
    if (reads.size >= MAX_READS_PER_SOCKET) return reply({ error: "too many event reads on one connection", kind: "FailedPrecondition" });
    try {
      const r = new EventsRead(s, m.data, new EventAudience(s.db, (socket.data as SocketData).user, socketTeam(socket)));
      await r.open();
      if (!socket.connected) return r.close();
      reads.set(r.session, r);
      reply({ session: r.session });
    } catch (err) {
      fail(reply, err);
    }
  });

  socket.on(EVENTS_READ.next, async (payload: unknown, ack?: Ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const session = (payload as { session?: unknown })?.session;
    const r = typeof session === "string" ? reads.get(session) : undefined;
    if (!r) return reply({ error: "no such events session", kind: "NotFound" });
    try {
      const out = await r.next();
      if (out.done) {
        reads.delete(r.session);
        r.close();
      }
      reply(out);
    } catch (err) {
      reads.delete(r.session);
      r.close();
      fail(reply, err);
    }
  });

  socket.on(EVENTS_READ.close, (payload: unknown) => {
    const session = (payload as { session?: unknown })?.session;
    const r = typeof session === "string" ? reads.get(session) : undefined;
    if (r) {
      reads.delete(r.session);
      r.close();
    }
  });

  socket.on("disconnect", () => {
    for (const r of reads.values()) r.close();
    reads.clear();
  });
}
