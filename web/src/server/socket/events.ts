import type { Server } from "socket.io";
import { ContainerEvent, EVENTS_CHANNEL, SOCKET } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import type { Services } from "../services.js";

/** Every authenticated socket sits in this room (all of them, today: the middleware refuses the rest). */
export const AUTHENTICATED_ROOM = "authenticated";

/** One Redis subscription for the process, fanned out to sockets as SOCKET.event. Returns the subscriber to close. */
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
    io.to(AUTHENTICATED_ROOM).emit(SOCKET.event, event);
  });
  sub.subscribe(EVENTS_CHANNEL).then(
    () => s.log.debug({ channel: EVENTS_CHANNEL }, "relaying container events"),
    (err: Error) => s.log.error({ err: err.message }, "could not subscribe to container events"),
  );
  return sub;
}
