import type { Socket } from "socket.io";
import type { Services } from "../services.js";
import { actorWithPolicy, TEAM_HEADER, type Actor, type TeamAction } from "../policy/index.js";
import type { SocketData } from "./auth.js";

/**
 * The policy for one socket.io event: the socket's user, in the team named at connect
 * (`auth.team`, else the team header), asking for `action`. Refusals throw with their kind.
 */
/** The team a socket named at connect (`auth.team`, else the team header), if any. */
export function socketTeam(socket: Socket): string | undefined {
  const raw: unknown = socket.handshake.auth?.team ?? socket.handshake.headers[TEAM_HEADER];
  return typeof raw === "string" && raw ? raw : undefined;
}

export function socketActor(s: Services, socket: Socket, event: string, action: TeamAction, target = ""): Promise<Actor> {
  const { user } = socket.data as SocketData;
  const raw: unknown = socket.handshake.auth?.team;
  return actorWithPolicy(s, user, socket.handshake.headers, action, {
    target,
    origin: { address: socket.handshake.address, client: String(socket.handshake.headers["user-agent"] ?? "").slice(0, 200) },
    path: `socket:${event}`,
    ...(typeof raw === "string" && raw ? { team: raw } : {}),
  });
}
