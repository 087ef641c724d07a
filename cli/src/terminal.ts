/**
 * The client side of exec and attach sessions: one socket.io connection, one session, the
 * local terminal in raw mode with -t (restored on every way out), stdin relayed, SIGWINCH
 * sent as resizes, output written as it comes. Resolves with the session's exit.
 */
import { TERMINAL, TERMINAL_SESSION, type StartAck, type TerminalState } from "@berth/core";
import type { Session } from "./client.js";
import { loadSocketIo } from "./client.js";
import { CliError, codeForKind, connectionMessage, unauthorizedMessage } from "./errors.js";
import { tlsOptions } from "./tls-trust.js";
import { teamAuth } from "./credentials.js";

export interface TerminalOptions {
  /** exec / attach, or a shared terminal session (terminal:join / terminal:open). */
  event: "exec:start" | "attach:start" | "terminal:join" | "terminal:open";
  payload: Record<string, unknown>;
  tty: boolean;
  /** Relay this process's stdin. */
  interactive: boolean;
  /** Sees stdin before it is sent: returns what to send, or "detach" to leave the session running (attach's Ctrl-P Ctrl-Q). */
  input?: (d: Buffer) => Buffer | "detach";
  /** A shared terminal's state (who drives, whether it ended). */
  onState?: (st: TerminalState) => void;
}

export interface TerminalResult {
  exitCode: number | null;
  error?: string;
  /** The client detached; the container goes on. */
  detached?: boolean;
}

export async function runTerminal(s: Session, o: TerminalOptions): Promise<TerminalResult> {
  const { io } = await loadSocketIo();
  const u = new URL(s.url);
  const socket = io(u.origin, { ...(await tlsOptions(u)), path: `${u.pathname.replace(/\/+$/, "")}/socket.io`, auth: { token: s.token, ...teamAuth(s.url) }, reconnection: false });
  const stdin = process.stdin;
  const rawTty = o.tty && o.interactive && stdin.isTTY === true;
  const cleanups: (() => void)[] = [];
  // A terminal that never had its size set reports 0x0: send nothing then (the default applies).
  const size = () => (process.stdout.isTTY && process.stdout.columns > 0 && process.stdout.rows > 0 ? { cols: process.stdout.columns, rows: process.stdout.rows } : {});
  try {
    return await new Promise<TerminalResult>((resolve, reject) => {
      let session: string | undefined;
      let done = false;
      const finish = (r: TerminalResult) => {
        if (done) return;
        done = true;
        resolve(r);
      };
      socket.on("connect_error", (err: Error) => {
        if (/unauthori[sz]ed/i.test(err.message)) reject(new CliError("UNAUTHORIZED", unauthorizedMessage(s.url)));
        else reject(new CliError("CONNECTION", connectionMessage(s.url)));
      });
      socket.on("disconnect", (reason: string) => {
        if (!done) reject(new CliError("CONNECTION", `lost the connection to the Berth server at ${s.url} (${reason})`));
      });
      socket.on(TERMINAL.data, (m: { session: string; stream: string; data: Buffer | ArrayBuffer }) => {
        if (session !== undefined && m.session !== session) return;
        const buf = Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data as ArrayBuffer);
        (m.stream === "stderr" ? process.stderr : process.stdout).write(buf);
      });
      socket.on(TERMINAL_SESSION.state, (m: TerminalState) => {
        if (session === undefined || m.session === session) o.onState?.(m);
      });
      socket.on(TERMINAL.exit, (m: { session: string; exitCode: number | null; error?: string; kind?: string }) => {
        if (session !== undefined && m.session !== session) return;
        if (m.exitCode === null && m.kind) return reject(new CliError(codeForKind(m.kind), m.error ?? "the session failed"));
        finish({ exitCode: m.exitCode, ...(m.error ? { error: m.error } : {}) });
      });
      socket.on("connect", () => {
        // Raw before asking: the session's scrollback and state may arrive ahead of the answer, and
        // keys typed once they show must not meet a cooked terminal (it echoes ^P, and takes ^Q as XON).
        if (rawTty && !stdin.isRaw) {
          stdin.setRawMode(true);
          cleanups.push(() => stdin.setRawMode(false));
        }
        socket.emit(o.event, { ...o.payload, tty: o.tty, interactive: o.interactive, ...size() }, (ack: StartAck) => {
          if ("error" in ack) return reject(new CliError(codeForKind(ack.kind), ack.error));
          const id = ack.session;
          session = id;
          if (o.tty && process.stdout.isTTY) {
            const onResize = () => {
              const sz = size();
              if (sz.cols && sz.rows) socket.emit(TERMINAL.resize, { session: id, cols: sz.cols, rows: sz.rows });
            };
            process.on("SIGWINCH", onResize);
            cleanups.push(() => process.off("SIGWINCH", onResize));
          }
          if (o.interactive) {
            const onData = (d: Buffer) => {
              const out = o.input ? o.input(d) : d;
              if (out === "detach") return finish({ exitCode: 0, detached: true });
              if (out.length) socket.emit(TERMINAL.stdin, { session: id, data: out });
            };
            const onEnd = () => socket.emit(TERMINAL.stdin, { session: id, end: true });
            stdin.on("data", onData);
            stdin.once("end", onEnd);
            cleanups.push(() => {
              stdin.off("data", onData);
              stdin.off("end", onEnd);
              stdin.pause();
            });
            stdin.resume();
          }
        });
      });
    });
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch {
        /* best effort: the terminal may be gone */
      }
    }
    socket.disconnect();
  }
}
