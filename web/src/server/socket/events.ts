import type { Server, Socket } from "socket.io";
import { ContainerEvent, EVENTS_CHANNEL, SOCKET } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import type { Services } from "../services.js";
import { EventAudience } from "../events/audience.js";
import type { SocketData } from "./auth.js";
import { socketTeam } from "./actor.js";

/** Every authenticated socket sits in this room (all of them, today: the middleware refuses the rest). */
export const AUTHENTICATED_ROOM = "authenticated";

/** The socket's event audience, made on first use (whose events it may see). */
function audienceOf(s: Services, sock: Socket): EventAudience {
  const data = sock.data as SocketData & { audience?: EventAudience };
  return (data.audience ??= new EventAudience(s.db, data.user, socketTeam(sock)));
}

/**
 * One Redis subscription for the process, fanned out as SOCKET.event to each socket whose user
 * may see the event's team (decided here, per subscriber: a client never receives another
 * team's events to filter itself). Returns the subscriber to close.
 */
export function relayEvents(s: Services, io: Server): Redis {
  const sub = s.blockingRedis();
  sub.on("message", (channel: string, message: string) => {
    if (channel !== EVENTS_CHANNEL) return;
    let event: ContainerEvent;
    try {
      event = ContainerEvent.parse(JSON.parse(message));
    } catch (err) {
      s.log.warn({ err: (err as Error).message }, "ignoring a malformed event");
      return;
    }
    for (const socket of io.of("/").adapter.rooms.get(AUTHENTICATED_ROOM) ?? []) {
      const sock = io.sockets.sockets.get(socket);
      if (!sock) continue;
      audienceOf(s, sock).sees(event).then(
        (ok) => {
          if (ok) sock.emit(SOCKET.event, event);
        },
        (err: Error) => s.log.warn({ err: err.message, socket: sock.id }, "could not decide who sees an event: not sent"),
      );
    }
  });
  sub.subscribe(EVENTS_CHANNEL).then(
    () => s.log.debug({ channel: EVENTS_CHANNEL }, "relaying container events"),
    (err: Error) => s.log.error({ err: err.message }, "could not subscribe to container events"),
  );
  return sub;
}
