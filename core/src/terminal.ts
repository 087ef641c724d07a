import path from "node:path";
import { z } from "zod";

/**
 * Terminals, exec and attach over socket.io. Two links carry the same session events:
 *
 *   CLI / dashboard ──(default namespace, user auth)──▶ web ──(/agent namespace, host key)──▶ worker
 *
 * The client starts a session (`exec:start` or `attach:start`, acknowledged with `{ session }` or
 * `{ error, kind }`); web resolves the container, picks the agent of the host that owns it and
 * forwards the request with the session id added. From then on, both links use the session id:
 * `exec:data` and `exec:exit` flow back, `exec:stdin` and `exec:resize` flow in, and web sends the
 * agent `exec:close` when the client goes away (the worker kills the exec'd process).
 */
export const TERMINAL = {
  execStart: "exec:start",
  attachStart: "attach:start",
  data: "exec:data",
  stdin: "exec:stdin",
  resize: "exec:resize",
  exit: "exec:exit",
  /** web → agent only: the client went away; end the session (kill an exec'd process). */
  close: "exec:close",
} as const;

/** The socket.io namespace workers connect to. */
export const AGENT_NAMESPACE = "/agent";
/** Single host for now: one shared secret in $BERTH_HOME/agent.key (0600). Scale-out needs per-host tokens from the DB. */
export const agentKeyPath = (home: string) => path.join(home, "agent.key");

const Size = { cols: z.number().int().min(1).max(65535).optional(), rows: z.number().int().min(1).max(65535).optional() };
const EnvVar = z.string().regex(/^[^=\0]+=[^\0]*$/, "environment variables must be KEY=VALUE");

/** Client → web: `berth exec`. */
export const ExecStart = z.object({
  containerId: z.string().min(1).max(256),
  cmd: z.array(z.string().max(128 * 1024)).min(1).max(4096),
  tty: z.boolean().default(false),
  interactive: z.boolean().default(false),
  user: z.string().regex(/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/, "user must be NAME|UID[:GROUP|GID]").optional(),
  workdir: z.string().startsWith("/", "the working directory must be an absolute path").max(4096).optional(),
  env: z.array(EnvVar).max(1000).optional(),
  ...Size,
});
export type ExecStart = z.infer<typeof ExecStart>;

/** Client → web: `berth run -it` / attach to a container's pty (or stdin/stdout/stderr pipes). */
export const AttachStart = z.object({ containerId: z.string().min(1).max(256), ...Size });
export type AttachStart = z.infer<typeof AttachStart>;

const Session = z.string().uuid();

/** Web → agent: the request with the resolved full id and the session. */
export const AgentExecStart = ExecStart.extend({ session: Session, containerId: z.string().regex(/^[0-9a-f]{64}$/) });
export type AgentExecStart = z.infer<typeof AgentExecStart>;
export const AgentAttachStart = AttachStart.extend({ session: Session, containerId: z.string().regex(/^[0-9a-f]{64}$/) });
export type AgentAttachStart = z.infer<typeof AgentAttachStart>;

/** Either direction's acknowledgement of a start. */
export type StartAck = { session: string } | { error: string; kind: string };

/** Output. `pty` for a terminal (stdout and stderr are one stream there). */
export const TerminalData = z.object({ session: Session, stream: z.enum(["stdout", "stderr", "pty"]), data: z.instanceof(Uint8Array) });
export type TerminalData = z.infer<typeof TerminalData>;

/** Input; `end` closes stdin (EOF for a pipe). */
export const TerminalStdin = z.object({ session: Session, data: z.instanceof(Uint8Array).optional(), end: z.boolean().optional() });
export type TerminalStdin = z.infer<typeof TerminalStdin>;

export const TerminalResize = z.object({ session: Session, cols: z.number().int().min(1).max(65535), rows: z.number().int().min(1).max(65535) });
export type TerminalResize = z.infer<typeof TerminalResize>;

/** The end of a session: the process's exit code (Docker's: 126/127 when it could not start), or null with an error. */
export const TerminalExit = z.object({ session: Session, exitCode: z.number().int().nullable(), error: z.string().optional(), kind: z.string().optional() });
export type TerminalExit = z.infer<typeof TerminalExit>;

export const TerminalClose = z.object({ session: Session });
export type TerminalClose = z.infer<typeof TerminalClose>;
