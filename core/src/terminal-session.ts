import { z } from "zod";

/**
 * Shared terminal sessions: a process with a pty in a container, living on the container's host
 * (the worker), with a bounded scrollback, an id, its team, container and the user who started
 * it. Clients open one (`terminal:open`) or join one by id (`terminal:join`); both are
 * acknowledged like exec (`{ session }` — the client's own link to it — or `{ error, kind }`),
 * then the scrollback and live output arrive as `exec:data` (stream "pty"), input goes in as
 * `exec:stdin` and sizes as `exec:resize` (both obeyed only from the driver), and
 * `terminal:state` tells every client who is in the session, who drives and whether the
 * process or its container has ended. `exec:exit` ends a client's link.
 *
 *   client ──(default namespace)──▶ web (policy: the container's team, container.terminal) ──(/agent)──▶ worker
 */
export const TERMINAL_SESSION = {
  open: "terminal:open",
  join: "terminal:join",
  state: "terminal:state",
  control: "terminal:control",
  /** Client → web (ack): the team's sessions and recordings. */
  list: "terminal:list",
  /** Client → web (ack): one recording's asciicast text. */
  recording: "terminal:recording",
  /** Web → agent (ack): where a session lives, and whose it is. */
  find: "terminal:find",
} as const;

/** Session ids: 16 hex characters (in shareable URLs). */
export const TerminalSessionId = z.string().regex(/^[0-9a-f]{16}$/, "a terminal session id is 16 hex characters");
/** Recording ids: the session id and a number (a session may be recorded more than once). */
export const RecordingId = z.string().regex(/^[0-9a-f]{16}-[0-9]{1,4}$/, "a recording id is SESSION-N");

const Size = { cols: z.number().int().min(1).max(1000).optional(), rows: z.number().int().min(1).max(1000).optional() };

/** Client → web: a new session in a container (its shell unless `cmd`). */
export const TerminalOpen = z.object({
  containerId: z.string().min(1).max(256),
  cmd: z.array(z.string().max(4096)).min(1).max(256).optional(),
  record: z.boolean().default(false),
  ...Size,
});
export type TerminalOpen = z.infer<typeof TerminalOpen>;

/** Client → web: join a running (or recently ended) session. */
export const TerminalJoin = z.object({ id: TerminalSessionId, /** `exec --session ID CONTAINER`: the session must be in this container. */ container: z.string().min(1).max(256).optional(), ...Size });
export type TerminalJoin = z.infer<typeof TerminalJoin>;

/** Who a client is (web resolves it; the worker only shows it). */
export const Participant = z.object({ id: z.string(), user: z.string(), driver: z.boolean(), via: z.enum(["browser", "cli"]) });
export type Participant = z.infer<typeof Participant>;

const Who = { user: z.string().min(1).max(200), via: z.enum(["browser", "cli"]) };

/** Web → agent. */
export const AgentTerminalOpen = TerminalOpen.extend({ session: z.string().uuid(), containerId: z.string().regex(/^[0-9a-f]{64}$/), containerName: z.string(), teamId: z.string().min(1), ...Who });
export type AgentTerminalOpen = z.infer<typeof AgentTerminalOpen>;
export const AgentTerminalJoin = TerminalJoin.omit({ container: true }).extend({ session: z.string().uuid(), teamId: z.string().min(1), ...Who });
export type AgentTerminalJoin = z.infer<typeof AgentTerminalJoin>;

/** Client → web → agent: pass the wheel, ask for it, record. */
export const TerminalControl = z.object({
  session: z.string().uuid(),
  op: z.enum(["handover", "request", "record"]),
  /** handover: the participant id to give the wheel to. */
  to: z.string().max(64).optional(),
  /** record: start (true) or stop (false). */
  on: z.boolean().optional(),
});
export type TerminalControl = z.infer<typeof TerminalControl>;

export const TerminalStatus = z.enum(["running", "ended", "stopped"]);

/** What every client of a session is told whenever it changes (and once on joining). */
export interface TerminalState {
  /** The client's own link. */
  session: string;
  id: string;
  containerId: string;
  containerName: string;
  /** This client's participant id. */
  you: string;
  participants: Participant[];
  /** Participant ids asking for the wheel. */
  requests: string[];
  status: z.infer<typeof TerminalStatus>;
  /** The process's exit code (ended) or the container's (stopped). */
  exitCode: number | null;
  /** "container stopped (exit N)" or "session ended (exit N)". */
  message?: string;
  cols: number;
  rows: number;
  /** The recording in progress, if any. */
  recording?: string;
}

/** One session, as listed. */
export interface TerminalSessionInfo {
  id: string;
  teamId: string;
  containerId: string;
  containerName: string;
  startedBy: string;
  startedAt: string;
  endedAt?: string;
  status: z.infer<typeof TerminalStatus>;
  exitCode: number | null;
  participants: Participant[];
  recording?: string;
}

/** One recording, as listed (its .cast sits beside a .json holding this). */
export interface RecordingInfo {
  id: string;
  sessionId: string;
  teamId: string;
  containerId: string;
  containerName: string;
  startedBy: string;
  startedAt: string;
  endedAt?: string;
  bytes: number;
}

export type AgentTerminalFindAck = { found: false } | { found: true; teamId: string; containerId: string };
