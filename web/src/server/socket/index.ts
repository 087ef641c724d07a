import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import type { Services } from "../services.js";
import { socketAuth, type SocketData } from "./auth.js";
import { AUTHENTICATED_ROOM, relayEvents } from "./events.js";
import { registerLogHandlers } from "./logs.js";
import { registerLogReadHandlers } from "./log-read.js";
import { registerEventReadHandlers } from "./events-read.js";
import { registerTerminalHandlers } from "./terminal.js";
import { registerBuildHandlers } from "../builds/socket.js";
import { AgentHub } from "../agent/index.js";
import { endJobsOfLostWorker } from "../agent/stopped-worker.js";
import { AGENT_NAMESPACE, config } from "@berth/core";

export { LOGS_UNSUBSCRIBE, type LogsEntryMessage } from "./logs.js";
export type { SocketData } from "./auth.js";

export interface SocketServer {
  io: Server;
  /** The worker links (/agent). */
  agents: AgentHub;
  close(): Promise<void>;
}

export function attachSocketServer(http: HttpServer, s: Services): SocketServer {
  const io = new Server(http, { path: "/socket.io", serveClient: false });
  io.use(socketAuth(s.db));
  const agents = new AgentHub(s.log, (hostId, instance) => {
    endJobsOfLostWorker(s, hostId, instance).catch((err: unknown) => s.log.error({ err, hostId }, "ending the jobs of a lost worker failed; its next start ends them"));
  });
  agents.attach(io, config().home);
  io.on("connection", (socket) => {
    const { user } = socket.data as SocketData;
    s.log.debug({ socket: socket.id, user: user.name, via: user.via }, "socket connected");
    void socket.join(AUTHENTICATED_ROOM);
    registerLogHandlers(s, socket);
    registerLogReadHandlers(s, socket, agents);
    registerEventReadHandlers(s, socket);
    registerTerminalHandlers(s, socket, agents);
    registerBuildHandlers(s, socket);
  });
  const subscriber = relayEvents(s, io);
  return {
    io,
    agents,
    close: async () => {
      subscriber.disconnect();
      agents.stop();
      // io.close() also closes the http server; the caller closes that itself.
      for (const socket of io.sockets.sockets.values()) socket.disconnect(true);
      for (const socket of io.of(AGENT_NAMESPACE).sockets.values()) socket.disconnect(true);
      io.engine.close();
    },
  };
}
