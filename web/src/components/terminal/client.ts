"use client";
import { io, type Socket } from "socket.io-client";
import type { Participant, RecordingInfo, TerminalSessionInfo, TerminalState } from "@berth/core";

export type { Participant, RecordingInfo, TerminalSessionInfo, TerminalState };

/** Must match core's TERMINAL and TERMINAL_SESSION (kept here so the page bundle does not pull zod). */
export const EV = {
  data: "exec:data",
  stdin: "exec:stdin",
  resize: "exec:resize",
  exit: "exec:exit",
  open: "terminal:open",
  join: "terminal:join",
  state: "terminal:state",
  control: "terminal:control",
  list: "terminal:list",
  recording: "terminal:recording",
} as const;

export type Ack<T> = T | { error: string; kind: string };

/** A socket in the page's team (the URL's `[team]`): the policy decides within it. */
export function connectTeamSocket(team: string): Socket {
  return io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"], auth: { team } });
}

export function request<T>(socket: Socket, event: string, payload: object): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.timeout(20_000).emit(event, payload, (err: Error | null, ack: Ack<T>) => {
      if (err) return reject(new Error(`the server did not answer (${event})`));
      if (ack && typeof ack === "object" && "error" in ack) return reject(Object.assign(new Error(ack.error), { kind: ack.kind }));
      resolve(ack as T);
    });
  });
}

export const kindOf = (e: unknown) => (e as { kind?: string }).kind;

/** Lists the team's sessions and recordings once (the caller polls or refreshes). */
export async function listTerminals(team: string): Promise<{ sessions: TerminalSessionInfo[]; recordings: RecordingInfo[] }> {
  const s = connectTeamSocket(team);
  try {
    return await request(s, EV.list, {});
  } finally {
    s.disconnect();
  }
}

export async function fetchRecording(team: string, id: string): Promise<{ info: RecordingInfo; cast: string }> {
  const s = connectTeamSocket(team);
  try {
    return await request(s, EV.recording, { id });
  } finally {
    s.disconnect();
  }
}

/** The terminal pages' paths (DASHBOARD.md's URL scheme). */
export const paths = {
  terminals: (team: string) => `/t/${encodeURIComponent(team)}/terminals`,
  session: (team: string, id: string) => `/t/${encodeURIComponent(team)}/terminals/${id}`,
  replay: (team: string, id: string) => `/t/${encodeURIComponent(team)}/terminals/${id}/replay`,
  containerTerminal: (team: string, name: string) => `/t/${encodeURIComponent(team)}/containers/${encodeURIComponent(name)}/terminal`,
  containerLogs: (team: string, name: string) => `/t/${encodeURIComponent(team)}/containers/${encodeURIComponent(name)}/logs`,
};
