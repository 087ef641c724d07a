import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import type { Services } from "../services.js";
import { socketAuth, type SocketData } from "./auth.js";
import { AUTHENTICATED_ROOM, relayEvents } from "./events.js";
import { registerLogHandlers } from "./logs.js";

export { LOGS_UNSUBSCRIBE, type LogsEntryMessage } from "./logs.js";
export type { SocketData } from "./auth.js";

export interface SocketServer {
  io: Server;
  close(): Promise<void>;
}

export function attachSocketServer(http: HttpServer, s: Services): SocketServer {
  const io = new Server(http, { path: "/socket.io", serveClient: false });
  io.use(socketAuth(s.db));
  io.on("connection", (socket) => {
    const { user } = socket.data as SocketData;
    s.log.debug({ socket: socket.id, user: user.name, via: user.via }, "socket connected");
    void socket.join(AUTHENTICATED_ROOM);
    registerLogHandlers(s, socket);
  });
  const subscriber = relayEvents(s, io);
  return {
    io,
    close: async () => {
      subscriber.disconnect();
      // io.close() also closes the http server; the caller closes that itself.
      for (const socket of io.sockets.sockets.values()) socket.disconnect(true);
      io.engine.close();
    },
  };
}
